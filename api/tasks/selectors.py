"""Every read of tasks. Owner scoping lives here: another user's task is simply not found."""

from collections.abc import Mapping
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from tasks.filters import DEFAULT_ORDERING, TaskFilter
from tasks.models import Priority, Status, Task

TASK_NOT_FOUND = "Task not found."


def _owned_by(user: AbstractBaseUser) -> QuerySet[Task]:
    return Task.objects.filter(owner=user).select_related("owner")


def task_list_for(*, user: AbstractBaseUser, filters: Mapping | None = None) -> QuerySet[Task]:
    """The user's tasks after the list filters; raises ValidationError naming bad parameters."""
    tasks = _owned_by(user).order_by(*DEFAULT_ORDERING)
    filters = filters or {}
    # A FilterSet deep-copies all its filters when built, which costs more than the page's
    # queries; without any of its parameters it could only return `tasks` unchanged.
    if not any(name in filters for name in TaskFilter.base_filters):
        return tasks
    filterset = TaskFilter(filters, queryset=tasks)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs


def task_get_for(*, user: AbstractBaseUser, task_id: UUID) -> Task:
    """Raises Http404 when the task does not exist or belongs to someone else."""
    task = _owned_by(user).filter(pk=task_id).first()
    if task is None:
        raise Http404(TASK_NOT_FOUND)
    return task


def task_stats_for(*, user: AbstractBaseUser) -> dict:
    """Totals by status and priority, in one aggregate query."""
    counts = {"total": Count("pk")}
    for field, choices in (("status", Status), ("priority", Priority)):
        for value in choices.values:
            counts[f"{field}:{value}"] = Count("pk", filter=Q(**{field: value}))
    row = Task.objects.filter(owner=user).aggregate(**counts)
    return {
        "total": row["total"],
        "by_status": {value: row[f"status:{value}"] for value in Status.values},
        "by_priority": {value: row[f"priority:{value}"] for value in Priority.values},
    }
