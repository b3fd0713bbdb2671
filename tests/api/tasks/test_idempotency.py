"""Idempotency-Key on task create and mark_done, through the API (Django's test client).

Concurrency across gunicorn workers and a restart are in test_gunicorn.py.
"""

import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from idempotency import services
from idempotency.keys import KEY_INVALID
from idempotency.models import IdempotencyKey
from idempotency.services import KEY_IN_PROGRESS, KEY_REUSED
from tasks.models import Task

pytestmark = pytest.mark.django_db

TASKS = "/api/v1/tasks/"
BODY = {"title": "Pay the invoice", "priority": "HIGH"}


def post(client, body, key, path=TASKS):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_repeat_replays_the_first_answer_and_creates_nothing(auth_client):
    key = str(uuid.uuid4())

    first = post(auth_client, BODY, key)
    again = post(auth_client, {"priority": "HIGH", "title": "Pay the invoice"}, f'"{key}"')

    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again["ETag"] == first["ETag"]
    assert Task.objects.count() == 1


def test_the_same_key_with_another_body_is_422(auth_client):
    key = str(uuid.uuid4())
    post(auth_client, BODY, key)

    reused = post(auth_client, {**BODY, "title": "Pay it twice"}, key)

    assert reused.status_code == 422
    assert reused.json() == {"detail": KEY_REUSED}
    assert Task.objects.count() == 1


def test_the_same_key_on_another_operation_is_422(auth_client, user, make_task):
    key = str(uuid.uuid4())
    post(auth_client, {}, key, f"{TASKS}{make_task(user).id}/mark_done/")

    assert post(auth_client, {}, key, f"{TASKS}{make_task(user).id}/mark_done/").status_code == 422


def test_keys_are_per_user(auth_client, client_for, make_user):
    key = str(uuid.uuid4())
    mine = post(auth_client, BODY, key)

    theirs = post(client_for(make_user("bob")), BODY, key)

    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert theirs.json()["owner"] == "bob" and theirs.json()["id"] != mine.json()["id"]


@pytest.mark.parametrize("key", ["", "x" * 256, "two words", '"unterminated', '"k";p=1'])
def test_a_bad_key_is_400_naming_the_header_and_nothing_runs(auth_client, key):
    response = post(auth_client, BODY, key)

    assert response.status_code == 400
    assert response.json() == {"Idempotency-Key": [KEY_INVALID]}
    assert not Task.objects.exists() and not IdempotencyKey.objects.exists()


def test_a_4xx_is_stored_and_replayed(auth_client):
    key = str(uuid.uuid4())

    first = post(auth_client, {"title": ""}, key)
    again = post(auth_client, {"title": ""}, key)

    assert first.status_code == again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and "title" in first.json()


def test_a_stored_404_is_replayed_even_once_the_task_exists_elsewhere(auth_client):
    key = str(uuid.uuid4())
    path = f"{TASKS}{uuid.uuid4()}/mark_done/"

    assert post(auth_client, {}, key, path).status_code == 404
    replayed = post(auth_client, {}, key, path)

    assert replayed.status_code == 404 and replayed["Idempotent-Replayed"] == "true"


def test_mark_done_with_a_key_runs_once(auth_client, user, make_task):
    task = make_task(user)
    key = str(uuid.uuid4())
    path = f"{TASKS}{task.id}/mark_done/"

    first = post(auth_client, None, key, path)
    again = post(auth_client, None, key, path)

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and first.json()["status"] == "DONE"
    assert again["Idempotent-Replayed"] == "true"
    task.refresh_from_db()
    assert task.version == 2  # written once


def test_a_repeat_while_the_first_still_runs_is_409(auth_client, user):
    key = str(uuid.uuid4())
    # what the first request holds while it runs (in Redis, shared by every worker)
    cache.add(services._marker(user, key), 1)

    running = post(auth_client, BODY, key)

    assert running.status_code == 409
    assert running.json() == {"detail": KEY_IN_PROGRESS}
    assert not Task.objects.exists()
    cache.delete(services._marker(user, key))  # the first request ends
    assert post(auth_client, BODY, key).status_code == 201


def test_an_expired_key_runs_again(auth_client, settings):
    key = str(uuid.uuid4())
    post(auth_client, BODY, key)
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    again = post(auth_client, BODY, key)

    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Task.objects.count() == 2
    assert IdempotencyKey.objects.get().expires_at > timezone.now() + timedelta(
        seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS - 60
    )


def _run(statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture
def refuse_boom():
    """The database refuses tasks titled "boom" (a trigger): a real failure inside the write.
    Returns the function that lifts the refusal."""
    if connection.vendor == "postgresql":
        create = [
            "CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN "
            "IF NEW.title = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; "
            "END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON tasks_task "
            "FOR EACH ROW EXECUTE FUNCTION refuse_boom()",
        ]
        drop = [
            "DROP TRIGGER IF EXISTS refuse_boom ON tasks_task",
            "DROP FUNCTION IF EXISTS refuse_boom()",
        ]
    else:
        create = [
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON tasks_task "
            "WHEN NEW.title = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END"
        ]
        drop = ["DROP TRIGGER IF EXISTS refuse_boom"]
    _run(create)
    yield lambda: _run(drop)
    _run(drop)


def test_a_5xx_is_not_stored_and_a_retry_runs_again(auth_client, refuse_boom):
    auth_client.raise_request_exception = False
    key = str(uuid.uuid4())

    failed = post(auth_client, {"title": "boom"}, key)

    assert failed.status_code == 500
    assert not Task.objects.exists() and not IdempotencyKey.objects.exists()
    refuse_boom()
    retried = post(auth_client, {"title": "boom"}, key)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried
