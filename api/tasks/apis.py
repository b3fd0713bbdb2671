"""Task endpoints: each handler parses, calls a service or selector, and serializes.

Conditional requests (tasks/etags.py): every task answer carries its ETag; If-Match makes a
write conditional (412 naming the current ETag when the task changed), If-None-Match a read
(304). Without those headers nothing extra happens: no query, no hashing. Create and
mark_done accept an Idempotency-Key (api/idempotency).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from idempotency import keys
from idempotency.services import idempotent_response
from taskmgr.schema import ErrorSerializer
from tasks import etags
from tasks.filters import TaskFilter
from tasks.selectors import task_get_for, task_pages_for, task_stats_for
from tasks.serializers import (
    PreconditionFailedSerializer,
    TaskInputSerializer,
    TaskOutputSerializer,
    TaskStatsSerializer,
    task_rows_output,
)
from tasks.services import (
    TaskChanged,
    task_create,
    task_delete,
    task_mark_done,
    task_update,
)

TASK_CHANGED = "The task changed since you read it: read it again (its ETag is current) and retry."

# The selector applies TaskFilter; this only documents its parameters in the schema.
_LIST_PARAMETERS = [
    OpenApiParameter(name, OpenApiTypes.STR, description=str(field.label))
    for name, field in TaskFilter.base_filters.items()
]


def _header(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.STR, OpenApiParameter.HEADER, description=description
    )


IDEMPOTENCY_KEY = _header(
    keys.HEADER,
    "Optional. 1-255 visible ASCII characters (a UUID), bare or quoted. The first request "
    "with a key runs; a repeat with the same body replays its answer (status and body, with "
    "`Idempotent-Replayed: true`) for 24 h; with another body it is 422; while the first "
    "still runs, 409. 5xx answers are not kept.",
)
IF_MATCH = _header(
    etags.IF_MATCH,
    'Optional. The ETag you read ("3"), or "*". The write happens only if the task is '
    "still at that version, else 412 with the current ETag.",
)
IF_NONE_MATCH = _header(
    etags.IF_NONE_MATCH,
    "Optional. ETags you hold; 304 with no body when the task still has one of them.",
)
_TASK = OpenApiResponse(TaskOutputSerializer, description="The task; its `ETag` header.")
_CONFLICTS = {
    409: OpenApiResponse(ErrorSerializer, description="Idempotency-Key: the first is running."),
    422: OpenApiResponse(ErrorSerializer, description="Idempotency-Key reused, other body."),
}
_PRECONDITION = {
    412: OpenApiResponse(
        PreconditionFailedSerializer, description="If-Match no longer matches: `etag` is now."
    )
}


@extend_schema_view(
    list=extend_schema(parameters=_LIST_PARAMETERS, responses=TaskOutputSerializer(many=True)),
    create=extend_schema(
        request=TaskInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: _TASK, **_CONFLICTS},
    ),
    retrieve=extend_schema(
        parameters=[IF_NONE_MATCH],
        responses={
            200: _TASK,
            304: OpenApiResponse(description="Not Modified: If-None-Match matched; no body."),
        },
    ),
    update=extend_schema(
        request=TaskInputSerializer, parameters=[IF_MATCH], responses={200: _TASK, **_PRECONDITION}
    ),
    partial_update=extend_schema(
        request=TaskInputSerializer, parameters=[IF_MATCH], responses={200: _TASK, **_PRECONDITION}
    ),
    destroy=extend_schema(parameters=[IF_MATCH], responses={204: None, **_PRECONDITION}),
)
class TaskViewSet(viewsets.GenericViewSet):
    """The signed-in user's tasks. Another user's task is 404 for every verb."""

    lookup_value_converter = "uuid"  # a non-UUID id never reaches the database: 404
    serializer_class = TaskOutputSerializer

    def list(self, request):
        fetch = task_pages_for(user=request.user, filters=request.query_params)
        rows = self.paginator.paginate_counted(request, fetch)
        return self.get_paginated_response(task_rows_output(rows))

    def create(self, request):
        return self._once(request, self._create)

    def _create(self, request):
        task = task_create(owner=request.user, **self._validated(request))
        return _answer(task, status.HTTP_201_CREATED)

    def retrieve(self, request, pk):
        task = self.get_object()
        etag = etags.etag_for(task)
        if_none_match = _condition(request, etags.IF_NONE_MATCH)
        if if_none_match is not None and etags.weak_match(if_none_match, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return _answer(task)

    def update(self, request, pk, partial=False):
        task = self.get_object()  # a stranger's task is 404 even with an invalid body
        conditional = _check_if_match(request, task)  # before the body (RFC 9110 §13.2.1)
        data = self._validated(request, partial=partial)
        return _answer(task_update(task=task, data=data, conditional=conditional))

    def partial_update(self, request, pk):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk):
        task = self.get_object()
        task_delete(task=task, conditional=_check_if_match(request, task))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=TaskStatsSerializer)
    @action(detail=False)
    def stats(self, request):
        return Response(TaskStatsSerializer(task_stats_for(user=request.user)).data)

    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY_KEY, IF_MATCH],
        responses={200: _TASK, **_CONFLICTS, **_PRECONDITION},
    )
    @action(detail=True, methods=["post"])
    def mark_done(self, request, pk):
        return self._once(request, self._mark_done)

    def _mark_done(self, request):
        task = self.get_object()
        return _answer(task_mark_done(task=task, conditional=_check_if_match(request, task)))

    def get_object(self):
        # DRF calls this too (OPTIONS metadata); the selector does the owner scoping.
        return task_get_for(user=self.request.user, task_id=self.kwargs["pk"])

    def handle_exception(self, exc):
        if isinstance(exc, TaskChanged):
            etag = etags.etag_for(exc.current)
            return Response(
                PreconditionFailedSerializer({"detail": TASK_CHANGED, "etag": etag}).data,
                status=status.HTTP_412_PRECONDITION_FAILED,
                headers={"ETag": etag},
            )
        return super().handle_exception(exc)

    def _once(self, request, handler):
        """`handler(request)`, run once per Idempotency-Key when the client sent one."""
        value = request.headers.get(keys.HEADER)
        if value is None:
            return handler(request)
        try:
            key = keys.parse_key(value)
        except ValueError as exc:
            raise ValidationError({keys.HEADER: [str(exc)]}) from None
        request_fingerprint = keys.fingerprint(
            method=request.method, path=request.path, data=request.data
        )

        def run():
            # the answer the client would get, 4xx included, so it can be stored
            try:
                return handler(request)
            except Exception as exc:  # handle_exception re-raises the unknown
                return self.handle_exception(exc)

        return idempotent_response(
            user=request.user, key=key, request_fingerprint=request_fingerprint, run=run
        )

    @staticmethod
    def _validated(request, *, partial: bool = False) -> dict:
        serializer = TaskInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def _condition(request, header: str) -> list | str | None:
    """The parsed header, None when absent; 400 naming it when malformed."""
    value = request.headers.get(header)
    if value is None:
        return None
    try:
        return etags.parse(header, value)
    except ValueError as exc:
        raise ValidationError({header: [str(exc)]}) from None


def _check_if_match(request, task) -> bool:
    """Whether the write must be conditional; TaskChanged (412) when If-Match already fails.
    `*` matches any existing task: the write is then as unconditional as without it."""
    if_match = _condition(request, etags.IF_MATCH)
    if if_match is None or if_match == etags.ANY:
        return False
    if not etags.strong_match(if_match, etags.etag_for(task)):
        raise TaskChanged(task)
    return True


def _answer(task, code: int = status.HTTP_200_OK) -> Response:
    data = TaskOutputSerializer(task).data
    return Response(data, status=code, headers={"ETag": etags.etag_for(task)})
