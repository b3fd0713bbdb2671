"""Every write to tasks. The model's rules are checked here too (`full_clean`), so a caller
other than the API (a shell, a command) cannot store a blank title or an unknown status.

The business counters are counted here, where the events happen, once the row is committed
(`on_commit`): a task created, a task moved to DONE (by mark_done or by an update that sets
it). A write rolled back (an Idempotency-Key race's loser, a 5xx) counts nothing.

Every change is one conditional UPDATE (`... WHERE id = ? AND version = ?`, the version the
task was read at) that also increments the version, so two writers that read the same
version never both win. A `conditional` write (the client sent If-Match) that loses raises
TaskChanged; an unconditional one re-reads the task and applies its change again, so the
last writer wins as it always did, and each version still names exactly one state.
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from metrics import instruments
from tasks.models import Priority, Status, Task
from tasks.selectors import task_get_for

EDITABLE_FIELDS = ("title", "description", "status", "priority", "due_date")


def task_create(
    *,
    owner: AbstractBaseUser,
    title: str,
    description: str = "",
    status: str = Status.TODO,
    priority: str = Priority.MEDIUM,
    due_date: datetime | None = None,
) -> Task:
    task = Task(
        owner=owner,
        title=title,
        description=description,
        status=status,
        priority=priority,
        due_date=due_date,
    )
    task.full_clean()
    task.save()
    transaction.on_commit(instruments.tasks_created_total.inc)
    return task


class TaskChanged(Exception):
    """A conditional write found the task at another version than the client's."""

    def __init__(self, current: Task):
        super().__init__(current.pk)
        self.current = current


def _reread(task: Task) -> Task:
    """The task as stored now; Http404 when it was deleted meanwhile."""
    return task_get_for(user=task.owner, task_id=task.pk)


def _write(task: Task, fields: list[str]) -> bool:
    """Store `fields` if the row is still at `task.version`: one UPDATE, no read."""
    task.updated_at = timezone.now()
    values = {name: getattr(task, name) for name in (*fields, "updated_at")}
    written = Task.objects.filter(pk=task.pk, version=task.version).update(
        **values, version=task.version + 1
    )
    if written:
        task.version += 1
    return bool(written)


def _lost(task: Task, *, conditional: bool) -> Task:
    """After a write lost to another: TaskChanged, or the current task to try again on."""
    current = _reread(task)
    if conditional:
        raise TaskChanged(current)
    return current


def task_update(*, task: Task, data: dict, conditional: bool = False) -> Task:
    """Apply the editable fields present in `data`; other keys are a programming error.
    `conditional`: raise TaskChanged instead of retrying when another write came first."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    while True:
        was_done = task.status == Status.DONE
        for field, value in data.items():
            setattr(task, field, value)
        task.full_clean()
        if _write(task, [*data]):
            break
        task = _lost(task, conditional=conditional)
    if task.status == Status.DONE and not was_done:
        transaction.on_commit(instruments.tasks_completed_total.inc)
    return task


def task_mark_done(*, task: Task, conditional: bool = False) -> Task:
    """Idempotent: an already finished task is returned unchanged."""
    while task.status != Status.DONE:
        task.status = Status.DONE
        if _write(task, ["status"]):
            transaction.on_commit(instruments.tasks_completed_total.inc)
            break
        task = _lost(task, conditional=conditional)
    return task


def task_delete(*, task: Task, conditional: bool = False) -> None:
    if not conditional:
        task.delete()
        return
    deleted, _ = Task.objects.filter(pk=task.pk, version=task.version).delete()
    if not deleted:
        _lost(task, conditional=True)
