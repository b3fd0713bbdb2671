"""Task endpoints over HTTP (Django's test client): CRUD, scoping, actions, paging, queries."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from taskmgr.pagination import MAX_PAGE_SIZE, PAGE_SIZE_INVALID
from tasks.models import Task
from tasks.selectors import TASK_NOT_FOUND

pytestmark = pytest.mark.django_db

TASKS = "/api/v1/tasks/"


def detail(task_id) -> str:
    return f"{TASKS}{task_id}/"


def test_seed_readme_task_examples_work_verbatim(auth_client):
    created = auth_client.post(
        TASKS,
        {
            "title": "Deploy Phase 2",
            "description": "Complete metrics and alerting",
            "status": "TODO",
            "priority": "HIGH",
            "due_date": "2025-10-15",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    task = created.json()
    assert task["due_date"] == "2025-10-15T00:00:00Z"
    assert task["owner"] == "alice"

    assert auth_client.get(TASKS).json()["count"] == 1
    filtered = auth_client.get(f"{TASKS}?status=TODO&priority=HIGH").json()
    assert [t["id"] for t in filtered["results"]] == [task["id"]]
    assert auth_client.get(f"{TASKS}?search=deploy").json()["count"] == 1
    stats = auth_client.get(f"{TASKS}stats/").json()
    assert stats["total"] == 1 and stats["by_priority"]["HIGH"] == 1

    done = auth_client.post(f"{TASKS}{task['id']}/mark_done/")
    assert done.status_code == 200
    assert done.json()["status"] == "DONE"


def test_create_applies_defaults_and_returns_the_full_task(auth_client):
    response = auth_client.post(TASKS, {"title": "Write tests"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id", "title", "description", "status", "priority", "due_date", "owner",
        "created_at", "updated_at",
    }  # fmt: skip
    assert body["status"] == "TODO"
    assert body["priority"] == "MEDIUM"
    assert body["description"] == ""
    assert body["due_date"] is None
    uuid.UUID(body["id"])


def test_create_ignores_read_only_fields(auth_client, make_user):
    other = make_user("mallory")
    forced_id = str(uuid.uuid4())

    body = auth_client.post(
        TASKS, {"title": "x", "id": forced_id, "owner": other.username}, format="json"
    ).json()

    assert body["id"] != forced_id
    assert body["owner"] == "alice"


def test_due_date_accepts_a_datetime_with_offset(auth_client):
    body = auth_client.post(
        TASKS, {"title": "x", "due_date": "2025-10-15T10:30:00+02:00"}, format="json"
    ).json()

    assert body["due_date"] == "2025-10-15T08:30:00Z"


def test_retrieve_put_patch_delete_own_task(auth_client, user, make_task):
    task = make_task(user, title="Old", priority="LOW")

    assert auth_client.get(detail(task.id)).json()["title"] == "Old"

    patched = auth_client.patch(detail(task.id), {"status": "IN_PROGRESS"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["status"] == "IN_PROGRESS"
    assert patched.json()["priority"] == "LOW"  # untouched by PATCH

    replaced = auth_client.put(detail(task.id), {"title": "New"}, format="json")
    assert replaced.status_code == 200
    assert replaced.json()["title"] == "New"
    assert replaced.json()["status"] == "TODO"  # PUT replaces: omitted fields get defaults
    assert replaced.json()["priority"] == "MEDIUM"

    assert auth_client.delete(detail(task.id)).status_code == 204
    assert not Task.objects.filter(pk=task.id).exists()


def test_put_requires_a_title(auth_client, user, make_task):
    task = make_task(user)

    response = auth_client.put(detail(task.id), {"status": "DONE"}, format="json")

    assert response.status_code == 400
    assert "title" in response.json()


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("put", "", {"title": "stolen"}),
        ("put", "", {"title": ""}),  # an invalid body still says 404, not 400
        ("patch", "", {"title": "stolen"}),
        ("delete", "", None),
        ("post", "mark_done/", None),
    ],
)
def test_another_users_task_is_not_found_for_every_verb(
    auth_client, make_user, make_task, method, suffix, body
):
    theirs = make_task(make_user("bob"), title="Bob's")

    response = getattr(auth_client, method)(detail(theirs.id) + suffix, body, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": TASK_NOT_FOUND}
    theirs.refresh_from_db()
    assert (theirs.title, theirs.status) == ("Bob's", "TODO")


def test_list_shows_only_own_tasks(auth_client, user, make_user, make_task):
    mine = make_task(user, title="mine")
    make_task(make_user("bob"), title="theirs")

    results = auth_client.get(TASKS).json()["results"]

    assert [t["id"] for t in results] == [str(mine.id)]


def test_stats_counts_by_status_and_priority(auth_client, user, make_user, make_task):
    make_task(user, status="DONE", priority="HIGH")
    make_task(user, status="TODO", priority="HIGH")
    make_task(user, status="IN_PROGRESS", priority="LOW")
    make_task(make_user("bob"), status="DONE")

    assert auth_client.get(f"{TASKS}stats/").json() == {
        "total": 3,
        "by_status": {"TODO": 1, "IN_PROGRESS": 1, "DONE": 1},
        "by_priority": {"LOW": 1, "MEDIUM": 0, "HIGH": 2},
    }


def test_requests_without_a_valid_token_are_401(api_client, user, make_task):
    task = make_task(user)

    assert api_client.get(TASKS).status_code == 401
    assert api_client.post(f"{TASKS}{task.id}/mark_done/").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api_client.get(TASKS).json() == {"detail": "Invalid token."}


def test_default_page_is_20_newest_first(auth_client, user, make_task):
    tasks = [make_task(user, title=f"t{i}") for i in range(25)]

    body = auth_client.get(TASKS).json()

    assert body["count"] == 25
    assert len(body["results"]) == 20
    assert body["results"][0]["id"] == str(tasks[-1].id)
    assert body["previous"] is None
    assert body["next"].endswith("?page=2")
    assert len(auth_client.get(body["next"]).json()["results"]) == 5


def test_page_size_is_capped(auth_client, user, make_task):
    for i in range(MAX_PAGE_SIZE + 1):
        make_task(user, title=f"t{i}")

    body = auth_client.get(f"{TASKS}?page_size=100000").json()

    assert len(body["results"]) == MAX_PAGE_SIZE


@pytest.mark.parametrize("size", ["0", "-5", "ten", "1.5", ""])
def test_invalid_page_size_is_400(auth_client, size):
    response = auth_client.get(f"{TASKS}?page_size={size}")

    assert response.status_code == 400
    assert response.json() == {"page_size": [PAGE_SIZE_INVALID.format(max=MAX_PAGE_SIZE)]}


def test_page_beyond_the_end_is_404(auth_client, user, make_task):
    make_task(user)

    response = auth_client.get(f"{TASKS}?page=2")

    assert response.status_code == 404
    assert "detail" in response.json()


def test_last_page_by_name(auth_client, user, make_task):
    for i in range(45):
        make_task(user, title=f"t{i}")

    body = auth_client.get(f"{TASKS}?page=last").json()

    assert body["count"] == 45
    assert [task["title"] for task in body["results"]] == ["t4", "t3", "t2", "t1", "t0"]
    assert body["next"] is None
    assert body["previous"].endswith("?page=2")


@pytest.mark.parametrize("page", ["0", "-1", "two", "1.5"])
def test_invalid_page_is_404(auth_client, user, make_task, page):
    make_task(user)

    response = auth_client.get(f"{TASKS}?page={page}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_an_empty_list_is_one_empty_page(auth_client):
    body = auth_client.get(TASKS).json()

    assert body == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize("query", ["", "?status=TODO", "?search=t&ordering=title"])
def test_a_page_is_one_query_after_authentication(auth_client, user, make_task, query):
    for i in range(25):
        make_task(user, title=f"t{i}")
    auth_client.get(f"{TASKS}{query}")  # warm up: nothing lazy left to load

    with CaptureQueriesContext(connection) as captured:
        body = auth_client.get(f"{TASKS}{query}").json()

    assert body["count"] == 25
    task_queries = [q for q in captured if "tasks_task" in q["sql"]]
    assert len(captured) == 2 and len(task_queries) == 1, [q["sql"] for q in captured]


def test_list_query_count_does_not_grow_with_the_page(client_for, make_user, make_task):
    def queries_for(n: int) -> int:
        owner = make_user()
        for i in range(n):
            make_task(owner, title=f"t{i}")
        client = client_for(owner)
        with CaptureQueriesContext(connection) as captured:
            body = client.get(f"{TASKS}?page_size=50").json()
        assert len(body["results"]) == n
        return len(captured)

    assert queries_for(5) == queries_for(50)


def test_stats_is_one_query_after_authentication(auth_client, user, make_task):
    make_task(user)
    auth_client.get(TASKS)  # warm up: nothing lazy left to load

    with CaptureQueriesContext(connection) as captured:
        auth_client.get(f"{TASKS}stats/")

    task_queries = [q for q in captured if "tasks_task" in q["sql"]]
    assert len(task_queries) == 1, [q["sql"] for q in captured]
