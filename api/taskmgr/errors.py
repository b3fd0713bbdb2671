"""One error shape for every client error: a JSON body saying what was wrong.

DRF exceptions keep DRF's body (`{"detail": …}`, or `{field: [messages]}` for validation);
Django's own ValidationError is translated into DRF's so services may raise it. Requests that
never reach a DRF view (unknown routes, a bad Host header) get the same `{"detail": …}`
shape from the handler views below. Anything else stays an unhandled, logged 500.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

NOT_FOUND = "Not found."
BAD_REQUEST = "Bad request."
PERMISSION_DENIED = "You do not have permission to perform this action."
SERVER_ERROR = "Internal server error."


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    response = drf_exception_handler(exc, context)
    if response is not None:
        # Errors are JSON even where success is YAML (schema/) or HTML (docs/).
        request = context["request"]
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return response


# Django's handler400/403/404/500 (set in taskmgr/urls.py), used outside DRF views.


def bad_request(request, exception):
    return JsonResponse({"detail": BAD_REQUEST}, status=400)


def permission_denied(request, exception):
    return JsonResponse({"detail": PERMISSION_DENIED}, status=403)


def not_found(request, exception):
    return JsonResponse({"detail": NOT_FOUND}, status=404)


def server_error(request):
    return JsonResponse({"detail": SERVER_ERROR}, status=500)
