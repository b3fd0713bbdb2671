"""taskmgr_tasks_created_total / taskmgr_tasks_completed_total move when clients create and
finish tasks through the API (counted in tasks/services.py)."""

import pytest
from django.db import IntegrityError, transaction

from tasks import services
from tasks.models import Task

CREATED = "taskmgr_tasks_created_total"
COMPLETED = "taskmgr_tasks_completed_total"
TASKS = "/api/v1/tasks/"

# real commits, as in production: the counters move on commit
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_create_and_a_mark_done_move_the_counters(auth_client, registry_delta):
    created = auth_client.post(TASKS, {"title": "Write the report"}, format="json")
    assert created.status_code == 201, created.content
    task_id = created.json()["id"]

    assert auth_client.post(f"{TASKS}{task_id}/mark_done/").status_code == 200
    assert auth_client.post(f"{TASKS}{task_id}/mark_done/").status_code == 200  # already done

    changes = registry_delta.changes()
    assert registry_delta.delta(CREATED) == 1, changes
    assert registry_delta.delta(COMPLETED) == 1, changes


def test_an_update_that_sets_done_counts_as_completed_once(auth_client, registry_delta):
    task_id = auth_client.post(TASKS, {"title": "Ship it"}, format="json").json()["id"]

    for _ in range(2):
        answer = auth_client.patch(f"{TASKS}{task_id}/", {"status": "DONE"}, format="json")
        assert answer.status_code == 200, answer.content
    auth_client.patch(f"{TASKS}{task_id}/", {"title": "Shipped"}, format="json")

    assert registry_delta.delta(COMPLETED) == 1, registry_delta.changes()


def test_a_refused_create_counts_nothing(auth_client, registry_delta):
    answer = auth_client.post(TASKS, {"title": ""}, format="json")

    assert answer.status_code == 400
    assert registry_delta.delta(CREATED) == 0, registry_delta.changes()


def test_a_create_rolled_back_counts_nothing(make_user, registry_delta):
    # what an Idempotency-Key race's loser does: its insert runs, then its transaction is
    # rolled back when the key turns out to be taken
    owner = make_user()
    with pytest.raises(IntegrityError), transaction.atomic():
        services.task_create(owner=owner, title="Written twice")
        raise IntegrityError("the key is taken")

    assert not Task.objects.exists()
    assert registry_delta.delta(CREATED) == 0, registry_delta.changes()
