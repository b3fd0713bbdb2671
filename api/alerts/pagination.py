"""Pages of alerts like the tasks' pages, over a store that counts and slices in one call.

DRF's paginator wants the whole sequence; alertstore.reader returns (count, one slice).
We size the slice from the request, then let Django's Paginator validate the page number
against the count and DRF build the `{count, next, previous, results}` body.
"""

from django.core.paginator import InvalidPage, Page, Paginator
from rest_framework.exceptions import NotFound

from taskmgr.pagination import PageNumberPagination


class _Counted:
    """Stands in for the full result list: Paginator only asks it for count()."""

    def __init__(self, count: int) -> None:
        self._count = count

    def count(self) -> int:
        return self._count


class AlertPagination(PageNumberPagination):
    def paginate_store(self, request, fetch):
        """fetch(offset, limit) -> (count, records); returns this page's records."""
        self.request = request
        size = self.get_page_size(request)
        raw_number = request.query_params.get(self.page_query_param, 1)
        try:
            number = int(raw_number)
            if number < 1:
                raise ValueError
        except ValueError:
            raise NotFound(self.invalid_page_message.format(page_number=raw_number)) from None
        count, records = fetch((number - 1) * size, size)
        paginator = Paginator(_Counted(count), size)
        try:
            paginator.validate_number(number)
        except InvalidPage as exc:
            message = self.invalid_page_message.format(page_number=number, message=exc)
            raise NotFound(message) from None
        self.page = Page(records, number, paginator)
        return records
