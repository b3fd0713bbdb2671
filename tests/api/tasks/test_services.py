"""Task writes: defaults, model rules enforced in the service, mark_done."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from tasks.models import Task
from tasks.services import task_create, task_delete, task_mark_done, task_update

pytestmark = pytest.mark.django_db


def test_create_uses_the_spec_defaults(user):
    task = task_create(owner=user, title="Plan")

    task.refresh_from_db()
    assert (task.status, task.priority, task.description, task.due_date) == (
        "TODO",
        "MEDIUM",
        "",
        None,
    )
    assert task.owner == user


@pytest.mark.parametrize(
    "fields",
    [{"title": ""}, {"title": "x" * 256}, {"title": "x", "status": "LATER"},
     {"title": "x", "priority": "URGENT"}],
)  # fmt: skip
def test_create_rejects_what_the_model_forbids_and_stores_nothing(user, fields):
    with pytest.raises(ValidationError):
        task_create(owner=user, **fields)

    assert not Task.objects.exists()


def test_update_changes_only_the_given_fields(user, make_task):
    task = make_task(user, title="Old", priority="HIGH")
    due = datetime(2030, 1, 1, tzinfo=UTC)

    task_update(task=task, data={"title": "New", "due_date": due})

    task.refresh_from_db()
    assert (task.title, task.priority, task.due_date) == ("New", "HIGH", due)


def test_update_refuses_fields_that_are_not_editable(user, make_task):
    task = make_task(user)

    with pytest.raises(TypeError, match="owner"):
        task_update(task=task, data={"owner": None})


def test_invalid_update_leaves_the_row_unchanged(user, make_task):
    task = make_task(user, title="Keep")

    with pytest.raises(ValidationError):
        task_update(task=task, data={"title": ""})

    assert Task.objects.get(pk=task.pk).title == "Keep"


def test_mark_done_sets_done_and_is_idempotent(user, make_task):
    task = make_task(user, status="IN_PROGRESS")

    task_mark_done(task=task)
    first_update = Task.objects.get(pk=task.pk).updated_at
    task_mark_done(task=task)

    stored = Task.objects.get(pk=task.pk)
    assert stored.status == "DONE"
    assert stored.updated_at == first_update  # the second call wrote nothing


def test_delete(user, make_task):
    task = make_task(user)

    task_delete(task=task)

    assert not Task.objects.exists()
