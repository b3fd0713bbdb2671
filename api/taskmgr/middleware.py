"""Refuse oversized request bodies before any view reads them.

Django checks DATA_UPLOAD_MAX_MEMORY_SIZE only when `request.body` or `request.POST` is
read; DRF parses JSON straight from the input stream and would accept any size.
"""

from django.conf import settings
from django.http import JsonResponse

BODY_TOO_LARGE = "Request body too large: the limit is {limit} bytes."


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Invalid Content-Length header."}, status=400)
        if length > limit:
            return JsonResponse({"detail": BODY_TOO_LARGE.format(limit=limit)}, status=413)
        return self.get_response(request)
