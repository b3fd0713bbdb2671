"""ETag, If-Match and If-None-Match on the task endpoints (Django's test client).

Two real clients racing on one ETag across gunicorn workers are in test_gunicorn.py.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.apis import TASK_CHANGED
from tasks.etags import ETAGS_INVALID
from tasks.models import Task

pytestmark = pytest.mark.django_db

TASKS = "/api/v1/tasks/"


@pytest.fixture
def task(user, make_task):
    return make_task(user, title="Write the report")


def url(task, suffix=""):
    return f"{TASKS}{task.id}/{suffix}"


def test_every_task_answer_carries_its_etag_and_each_write_changes_it(auth_client, task):
    read = auth_client.get(url(task))
    patched = auth_client.patch(url(task), {"title": "Write it"}, format="json")
    done = auth_client.post(url(task, "mark_done/"))
    done_again = auth_client.post(url(task, "mark_done/"))
    created = auth_client.post(TASKS, {"title": "Another"}, format="json")

    assert [read["ETag"], patched["ETag"], done["ETag"]] == ['"1"', '"2"', '"3"']
    assert done_again["ETag"] == '"3"'  # already done: nothing written
    assert auth_client.get(url(task))["ETag"] == '"3"'
    assert created.status_code == 201 and created["ETag"] == '"1"'


@pytest.mark.parametrize("header", ['"1"', 'W/"1"', '"7", "1"', "*"])
def test_if_none_match_that_matches_is_304_without_a_body(auth_client, task, header):
    response = auth_client.get(url(task), HTTP_IF_NONE_MATCH=header)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == '"1"'


def test_if_none_match_for_an_older_version_gets_the_task(auth_client, task):
    auth_client.patch(url(task), {"title": "Changed"}, format="json")

    response = auth_client.get(url(task), HTTP_IF_NONE_MATCH='"1"')

    assert response.status_code == 200
    assert response.json()["title"] == "Changed" and response["ETag"] == '"2"'


@pytest.mark.parametrize("header", ['"1"', '"9", "1"', "*"])
def test_if_match_that_matches_lets_the_write_through(auth_client, task, header):
    response = auth_client.patch(url(task), {"title": "Mine"}, format="json", HTTP_IF_MATCH=header)

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("patch", "", {"title": "Late"}),
        ("put", "", {"title": "Late"}),
        ("delete", "", None),
        ("post", "mark_done/", None),
    ],
)
def test_a_stale_if_match_is_412_naming_the_current_etag_and_changes_nothing(
    auth_client, task, method, suffix, body
):
    auth_client.patch(url(task), {"description": "someone else's edit"}, format="json")

    response = getattr(auth_client, method)(
        url(task, suffix), body, format="json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 412
    assert response.json() == {"detail": TASK_CHANGED, "etag": '"2"'}
    assert response["ETag"] == '"2"'
    stored = Task.objects.get(pk=task.pk)
    assert (stored.title, stored.status, stored.version) == ("Write the report", "TODO", 2)


def test_a_weak_tag_never_satisfies_if_match(auth_client, task):
    # RFC 9110 §13.1.1: If-Match uses the strong comparison
    response = auth_client.patch(url(task), {"title": "x"}, format="json", HTTP_IF_MATCH='W/"1"')

    assert response.status_code == 412


def test_the_precondition_is_checked_before_the_body(auth_client, task):
    auth_client.post(url(task, "mark_done/"))

    response = auth_client.patch(url(task), {"title": ""}, format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 412


def test_a_stranger_s_task_is_404_whatever_the_if_match(client_for, make_user, task):
    stranger = client_for(make_user("mallory"))

    response = stranger.patch(url(task), {"title": "x"}, format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 404


def test_delete_with_the_current_etag_deletes(auth_client, task):
    assert auth_client.delete(url(task), HTTP_IF_MATCH='"1"').status_code == 204
    assert not Task.objects.exists()


@pytest.mark.parametrize("header", ["If-Match", "If-None-Match"])
@pytest.mark.parametrize("value", ["1", '"1', "W/1", '"1" "2"', ",", 'w/"1"'])
def test_a_malformed_condition_is_400_naming_the_header(auth_client, task, header, value):
    meta = "HTTP_" + header.upper().replace("-", "_")
    method = auth_client.get if header == "If-None-Match" else auth_client.patch

    response = method(url(task), {"title": "x"}, format="json", **{meta: value})

    assert response.status_code == 400
    assert response.json() == {header: [ETAGS_INVALID.format(header=header)]}


def test_two_writers_with_one_etag_one_wins_the_other_re_reads_and_wins_next(
    auth_client, client_for, user, task
):
    laptop, phone = auth_client, client_for(user)
    etag = laptop.get(url(task))["ETag"]
    assert phone.get(url(task))["ETag"] == etag

    won = laptop.patch(url(task), {"title": "From the laptop"}, format="json", HTTP_IF_MATCH=etag)
    lost = phone.patch(url(task), {"priority": "LOW"}, format="json", HTTP_IF_MATCH=etag)
    fresh = phone.get(url(task))
    retried = phone.patch(
        url(task), {"priority": "LOW"}, format="json", HTTP_IF_MATCH=fresh["ETag"]
    )

    assert (won.status_code, lost.status_code, retried.status_code) == (200, 412, 200)
    assert lost.json()["etag"] == fresh["ETag"] == won["ETag"]
    assert retried.json()["title"] == "From the laptop" and retried.json()["priority"] == "LOW"


def _task_statements(client, method, path, **kwargs) -> list[str]:
    """The statements one request sends about tasks (and idempotency keys), in order."""
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(path, **kwargs)
    assert response.status_code < 300, response.content
    sqls = [query["sql"] for query in captured.captured_queries]
    # full_clean's checks (the owner exists, the CHECK constraints) ran before ETags too
    return [sql.split()[0] for sql in sqls if '"tasks_task"' in sql or "idempotency" in sql]


def test_without_conditional_headers_no_query_is_added(auth_client, task):
    # One read of the task, and a write is one UPDATE ... WHERE id = ? AND version = ?
    assert _task_statements(auth_client, "get", url(task)) == ["SELECT"]
    patch = _task_statements(auth_client, "patch", url(task), data={"title": "x"}, format="json")
    assert patch == ["SELECT", "UPDATE"]
    assert _task_statements(auth_client, "post", url(task, "mark_done/")) == ["SELECT", "UPDATE"]
    assert _task_statements(auth_client, "delete", url(task)) == ["SELECT", "DELETE"]
    create = _task_statements(auth_client, "post", TASKS, data={"title": "y"}, format="json")
    assert create == ["SELECT", "INSERT"]  # full_clean's check that the new id is free
    assert Task.objects.get().version == 1


def test_an_unconditional_write_that_loses_the_race_is_applied_to_the_current_task(task):
    from tasks.services import task_update

    stale = Task.objects.get(pk=task.pk)
    task_update(task=Task.objects.get(pk=task.pk), data={"title": "First"})

    updated = task_update(task=stale, data={"priority": "LOW"})

    stored = Task.objects.get(pk=task.pk)
    assert (stored.title, stored.priority, stored.version) == ("First", "LOW", 3)
    assert updated.version == 3
