"""OpenAPI generation: every operation also documents the error answers it can give.

drf-spectacular documents only the success response, so a client (or a schema-driven
fuzzer) would see every 400/401/404/429 as undocumented. Which errors apply is read from
the view itself — its authenticators, permissions, throttles and path — so the schema
cannot drift from what the view enforces. Operations are tagged by resource.
"""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser


class ErrorSerializer(serializers.Serializer):
    """`{"detail": "..."}`, or for a validation error `{"<field>": ["..."], ...}`."""

    detail = serializers.CharField(required=False)


BODY_METHODS = {"POST", "PUT", "PATCH"}
# Answered by gunicorn before the API sees the request, hence HTML, not our JSON error.
URI_TOO_LONG = {
    "description": "URI Too Long: the request line exceeds the server's limit "
    "(8190 bytes, gunicorn's maximum); an HTML page from the server, not the API.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}
# gunicorn also refuses a header value with control characters itself, in HTML
HEADER_REFUSED = (
    " A request header gunicorn cannot accept (control characters) gets its HTML page instead."
)
HTML = {"text/html": {"schema": {"type": "string"}}}

API_PREFIX = "/api/v1/"
# operations tagged by the first path segment after /api/v1/, except these
TAG_ALIASES = {"status": "health"}


class AutoSchema(openapi.AutoSchema):
    def get_tags(self) -> list[str]:
        """One tag per resource (SPECTACULAR_SETTINGS["TAGS"]), not drf-spectacular's
        first path segment, which is "api" for every operation under /api/v1/."""
        segment = self.path.removeprefix(API_PREFIX).strip("/").split("/")[0]
        # a test checks each tag is one of SPECTACULAR_SETTINGS["TAGS"], with its description
        return [TAG_ALIASES.get(segment, segment)]

    def _error_statuses(self) -> dict[str, str]:
        view = self.view
        errors = {"400": "Malformed request or invalid input; the body names what was wrong."}
        if view.get_authenticators():
            errors["401"] = "Missing or invalid token."
        if any(isinstance(p, IsAdminUser) for p in view.get_permissions()):
            errors["403"] = "Authenticated but not staff."
        if "{" in self.path or self._is_list_view():
            errors["404"] = "No such object, or a page past the end."
        if self.method in BODY_METHODS:
            errors["413"] = "Request body larger than the limit."
        if view.get_throttles():
            errors["429"] = "Throttled; Retry-After says when to try again."
        return errors

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in self._error_statuses().items():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                responses[code] = {**response, "description": description}
        responses.setdefault("414", URI_TOO_LONG)
        if "400" in responses and self._documents_headers():
            bad = responses["400"]
            responses["400"] = {
                **bad,
                "description": bad["description"] + HEADER_REFUSED,
                "content": {**bad.get("content", {}), **HTML},
            }
        return responses

    def _documents_headers(self) -> bool:
        return any(
            getattr(parameter, "location", None) == OpenApiParameter.HEADER
            for parameter in self.get_override_parameters()
        )
