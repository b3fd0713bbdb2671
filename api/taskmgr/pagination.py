"""Page-number pagination: `{count, next, previous, results}`, 20 per page by default.

`page_size` above the maximum is capped; zero, negative or non-numeric is a 400 (DRF
would silently fall back to the default, hiding the client's mistake).
"""

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

MAX_PAGE_SIZE = 100
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

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:  # page and page_size: below 1 is an error, say so
            parameter["schema"]["minimum"] = 1
        return parameters
