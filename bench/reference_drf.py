"""The task list as a plain DRF app would serve it: the reference bench/task_list.py times ours
against, in the same process, on the same database and rows.

Exactly: a ModelViewSet over the user's tasks with `select_related("owner")` and the same
ordering as ours, a ModelSerializer of the same fields, TokenAuthentication, IsAuthenticated,
DRF's stock PageNumberPagination of 20, JSONRenderer, no throttling; behind Django's
SecurityMiddleware and CommonMiddleware only. Every one of those is set on the view itself,
so taskmgr's REST_FRAMEWORK settings do not leak into it. This module is also its URLconf.
"""

from __future__ import annotations

from django.core.handlers.wsgi import WSGIHandler
from django.test.utils import override_settings
from django.urls import path
from rest_framework import pagination, serializers, viewsets
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer

from tasks.filters import DEFAULT_ORDERING
from tasks.models import Task

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
PATH = "/api/v1/tasks/"  # the same path as ours, so pagination links read alike


class Pagination(pagination.PageNumberPagination):
    page_size = 20


# written out here, not imported from tasks.serializers: the reference stays plain DRF
# (and the same JSON, which the bench checks) whatever ours becomes
class TaskSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "status",
            "priority",
            "due_date",
            "owner",
            "created_at",
            "updated_at",
        ]


class TaskViewSet(viewsets.ModelViewSet):
    serializer_class = TaskSerializer
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination
    renderer_classes = [JSONRenderer]
    throttle_classes = []

    def get_queryset(self):
        return (
            Task.objects.filter(owner=self.request.user)
            .select_related("owner")
            .order_by(*DEFAULT_ORDERING)
        )


urlpatterns = [path(PATH.lstrip("/"), TaskViewSet.as_view({"get": "list"}))]


class ReferenceHandler(WSGIHandler):
    """A WSGI application serving only this module's URLconf behind MIDDLEWARE."""

    def __init__(self):
        # the handler builds its middleware chain once, from the settings at that moment
        with override_settings(MIDDLEWARE=MIDDLEWARE):
            super().__init__()

    def get_response(self, request):
        request.urlconf = __name__  # Django resolves against request.urlconf when set
        return super().get_response(request)
