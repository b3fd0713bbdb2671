"""Every write to tasks. The model's rules are checked here too (`full_clean`), so a caller
other than the API (a shell, a command) cannot store a blank title or an unknown status.

The business counters are counted here, where the events happen, after the row is saved:
a task created, a task moved to DONE (by mark_done or by an update that sets it).
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from metrics import instruments
from tasks.models import Priority, Status, Task

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
    instruments.tasks_created_total.inc()
    return task


def task_update(*, task: Task, data: dict) -> Task:
    """Apply the editable fields present in `data`; other keys are a programming error."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    was_done = task.status == Status.DONE
    for field, value in data.items():
        setattr(task, field, value)
    task.full_clean()
    task.save(update_fields=[*data, "updated_at"])
    if task.status == Status.DONE and not was_done:
        instruments.tasks_completed_total.inc()
    return task


def task_mark_done(*, task: Task) -> Task:
    """Idempotent: an already finished task is returned unchanged."""
    if task.status != Status.DONE:
        task.status = Status.DONE
        task.save(update_fields=["status", "updated_at"])
        instruments.tasks_completed_total.inc()
    return task


def task_delete(*, task: Task) -> None:
    task.delete()
