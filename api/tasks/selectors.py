"""Every read of tasks. Owner scoping lives here: another user's task is simply not found."""

from collections.abc import Callable, Mapping
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Subquery
from django.http import Http404

from taskmgr.compiled import CompiledQuery
from tasks.filters import DEFAULT_ORDERING, TaskFilter
from tasks.models import Priority, Status, Task
from tasks.serializers import TASK_ROW_COLUMNS

TASK_NOT_FOUND = "Task not found."


def _owned_by(user: AbstractBaseUser) -> QuerySet[Task]:
    return Task.objects.filter(owner=user).select_related("owner")


def _filtered(filters: Mapping | None) -> bool:
    # A FilterSet deep-copies all its filters when built, which costs more than the page's
    # queries; without any of its parameters it could only return the tasks unchanged.
    return any(name in (filters or {}) for name in TaskFilter.base_filters)


def task_list_for(*, user: AbstractBaseUser, filters: Mapping | None = None) -> QuerySet[Task]:
    """The user's tasks after the list filters; raises ValidationError naming bad parameters."""
    tasks = _owned_by(user).order_by(*DEFAULT_ORDERING)
    if not _filtered(filters):
        return tasks
    filterset = TaskFilter(filters, queryset=tasks)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs


def _counted_rows(tasks: QuerySet[Task]) -> QuerySet:
    """TASK_ROW_COLUMNS and, last, the count of all `tasks` (a subquery the database runs
    once): a page and the count in one query."""
    count = tasks.order_by().values("owner").annotate(n=Count("pk")).values("n")
    return tasks.annotate(total=Subquery(count)).values_list(*TASK_ROW_COLUMNS, "total")


# the unfiltered list, by far the most asked: its SQL compiled once (-1: no user's id)
_UNFILTERED_PAGE = CompiledQuery(
    lambda owner_id: _counted_rows(
        Task.objects.filter(owner_id=owner_id).order_by(*DEFAULT_ORDERING)
    ),
    -1,
)


def task_pages_for(
    *, user: AbstractBaseUser, filters: Mapping | None = None
) -> Callable[[int, int], tuple[int, list]]:
    """The user's tasks after the list filters as fetch(offset, limit) -> (count of all, the
    slice's rows of TASK_ROW_COLUMNS); raises ValidationError naming bad parameters now."""
    if _filtered(filters):
        tasks = task_list_for(user=user, filters=filters)

        def page(offset: int, limit: int) -> list:
            return list(_counted_rows(tasks)[offset : offset + limit])
    else:
        tasks = None  # built only to count a page past the end

        def page(offset: int, limit: int) -> list:
            return _UNFILTERED_PAGE.rows(user.pk, offset=offset, limit=limit)

    def fetch(offset: int, limit: int) -> tuple[int, list]:
        rows = page(offset, limit)
        if not rows:  # past the end: no row to carry the count
            return (tasks if tasks is not None else _owned_by(user)).count(), []
        return rows[0][-1], [row[:-1] for row in rows]

    return fetch


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
