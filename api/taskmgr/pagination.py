"""Page-number pagination: `{count, next, previous, results}`, 20 per page by default.

`page_size` above the maximum is capped; zero, negative or non-numeric is a 400 (DRF
would silently fall back to the default, hiding the client's mistake).

DRF's paginator counts, then slices: two queries. `paginate_counted` takes the count and
the page from one fetch (the tasks' page with a count subquery, the alert store's
count-and-slice call), then lets Django's Paginator validate the number and DRF build the
body, as before.
"""

from django.core.paginator import InvalidPage, Page, Paginator
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

MAX_PAGE_SIZE = 100
# SQL offsets are 64-bit; any page from here on is past the end of every list
_MAX_OFFSET = 2**62
PAGE_SIZE_INVALID = "page_size must be a whole number from 1 to {max} (larger values are capped)."


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError(
                {self.page_size_query_param: [PAGE_SIZE_INVALID.format(max=MAX_PAGE_SIZE)]}
            )
        return min(size, self.max_page_size)

    def paginate_counted(self, request, fetch):
        """fetch(offset, limit) -> (count of all, that slice); returns this page's items."""
        self.request = request
        size = self.get_page_size(request)
        raw_number = request.query_params.get(self.page_query_param) or 1
        if raw_number in self.last_page_strings:
            count, _ = fetch(0, size)  # the count first: which page is last
            raw_number = Paginator(_Counted(count), size).num_pages
        try:
            number = int(raw_number)
            if number < 1:
                raise ValueError
        except ValueError:
            raise NotFound(self.invalid_page_message.format(page_number=raw_number)) from None
        count, items = fetch(min((number - 1) * size, _MAX_OFFSET), size)
        paginator = Paginator(_Counted(count), size)
        try:
            paginator.validate_number(number)
        except InvalidPage as exc:
            message = self.invalid_page_message.format(page_number=number, message=exc)
            raise NotFound(message) from None
        self.page = Page(items, number, paginator)
        return items

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:  # page and page_size: below 1 is an error, say so
            parameter["schema"]["minimum"] = 1
        return parameters


class _Counted:
    """Stands in for the full result list: Paginator only asks it for count()."""

    def __init__(self, count: int) -> None:
        self._count = count

    def count(self) -> int:
        return self._count
