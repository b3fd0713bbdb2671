"""Task endpoints: each handler parses, calls a service or selector, and serializes."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tasks.filters import TaskFilter
from tasks.selectors import task_get_for, task_list_for, task_stats_for
from tasks.serializers import (
    TASK_ROW_COLUMNS,
    TaskInputSerializer,
    TaskOutputSerializer,
    TaskStatsSerializer,
    task_rows_output,
)
from tasks.services import task_create, task_delete, task_mark_done, task_update

# The selector applies TaskFilter; this only documents its parameters in the schema.
_LIST_PARAMETERS = [
    OpenApiParameter(name, OpenApiTypes.STR, description=str(field.label))
    for name, field in TaskFilter.base_filters.items()
]


@extend_schema_view(
    list=extend_schema(parameters=_LIST_PARAMETERS, responses=TaskOutputSerializer(many=True)),
    create=extend_schema(request=TaskInputSerializer, responses={201: TaskOutputSerializer}),
    retrieve=extend_schema(responses=TaskOutputSerializer),
    update=extend_schema(request=TaskInputSerializer, responses=TaskOutputSerializer),
    partial_update=extend_schema(request=TaskInputSerializer, responses=TaskOutputSerializer),
    destroy=extend_schema(responses={204: None}),
)
class TaskViewSet(viewsets.GenericViewSet):
    """The signed-in user's tasks. Another user's task is 404 for every verb."""

    lookup_value_converter = "uuid"  # a non-UUID id never reaches the database: 404
    serializer_class = TaskOutputSerializer

    def list(self, request):
        tasks = task_list_for(user=request.user, filters=request.query_params)
        rows = self.paginate_queryset(tasks.values_list(*TASK_ROW_COLUMNS))
        return self.get_paginated_response(task_rows_output(rows))

    def create(self, request):
        data = self._validated(request)
        task = task_create(owner=request.user, **data)
        return Response(TaskOutputSerializer(task).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk):
        return Response(TaskOutputSerializer(self.get_object()).data)

    def update(self, request, pk, partial=False):
        task = self.get_object()  # a stranger's task is 404 even with an invalid body
        task = task_update(task=task, data=self._validated(request, partial=partial))
        return Response(TaskOutputSerializer(task).data)

    def partial_update(self, request, pk):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk):
        task_delete(task=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=TaskStatsSerializer)
    @action(detail=False)
    def stats(self, request):
        return Response(TaskStatsSerializer(task_stats_for(user=request.user)).data)

    @extend_schema(request=None, responses=TaskOutputSerializer)
    @action(detail=True, methods=["post"])
    def mark_done(self, request, pk):
        task = task_mark_done(task=self.get_object())
        return Response(TaskOutputSerializer(task).data)

    def get_object(self):
        # DRF calls this too (OPTIONS metadata); the selector does the owner scoping.
        return task_get_for(user=self.request.user, task_id=self.kwargs["pk"])

    @staticmethod
    def _validated(request, *, partial: bool = False) -> dict:
        serializer = TaskInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
