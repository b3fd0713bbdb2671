"""Hostile and malformed input: always a 4xx with a JSON body saying what was wrong."""

import pytest
from django.conf import settings

from taskmgr.errors import NOT_FOUND
from taskmgr.middleware import BODY_TOO_LARGE
from taskmgr.parsers import TOO_DEEPLY_NESTED

pytestmark = pytest.mark.django_db

TASKS = "/api/v1/tasks/"


@pytest.fixture
def task_url(user, make_task):
    return f"{TASKS}{make_task(user).id}/"


RAW_BODIES = [
    # (method, path, content type, body, status, field or fragment expected in the answer)
    ("post", TASKS, "application/json", '{"title": ', 400, "JSON parse error"),
    ("post", TASKS, "application/json", "\xff\xfe", 400, "JSON parse error"),
    ("post", TASKS, "application/json", "[" * 100_000 + "]" * 100_000, 400, TOO_DEEPLY_NESTED),
    ("post", TASKS, "application/json", '["a list"]', 400, "non_field_errors"),
    ("post", TASKS, "application/json", "null", 400, "non_field_errors"),
    ("post", TASKS, "text/plain", "title=x", 415, "Unsupported media type"),
    ("post", TASKS, "application/x-www-form-urlencoded", "title=x", 415, "Unsupported media"),
    ("post", TASKS, "application/json", '{"title": NaN}', 400, "JSON parse error"),
]


@pytest.mark.parametrize(("method", "path", "ctype", "body", "status", "says"), RAW_BODIES)
def test_malformed_bodies(auth_client, method, path, ctype, body, status, says):
    response = getattr(auth_client, method)(path, body, content_type=ctype)

    assert response.status_code == status
    assert says in response.content.decode()
    response.json()


JSON_BODIES = [
    {"title": ""},
    {"title": "   "},
    {"title": "x" * 256},
    {"title": None},
    {"title": ["list"]},
    {"title": {"nested": "object"}},
    {"title": "nul \x00 byte"},
    {"title": "ok", "status": "SOMEDAY"},
    {"title": "ok", "priority": "urgent"},
    {"title": "ok", "priority": 3},
    {"title": "ok", "due_date": "next tuesday"},
    {"title": "ok", "due_date": "2025-02-30"},
    {"title": "ok", "due_date": "9999-12-31T23:59:59-05:00"},
    {"title": "ok", "due_date": "0001-01-01T00:00:00+05:00"},
    {"title": "ok", "due_date": 1760486400},
    {"title": "ok", "due_date": ["2025-10-15"]},
    {"title": "ok", "description": ["x"]},
]


@pytest.mark.parametrize("body", JSON_BODIES)
def test_invalid_task_fields_are_400_naming_the_field(auth_client, task_url, body):
    bad = next(name for name in body if name != "title" or len(body) == 1)

    for response in (
        auth_client.post(TASKS, body, format="json"),
        auth_client.put(task_url, body, format="json"),
        auth_client.patch(task_url, {bad: body[bad]}, format="json"),
    ):
        assert response.status_code == 400, response.content
        assert bad in response.json()


QUERIES = [
    "status=todo",
    "priority=ULTRA",
    "ordering=owner__password",
    "ordering=-",
    "created_after=2025-13-01",
    "created_before=soon",
    "due_date=2025-10-15T00:00:00",
    "due_after=99999-01-01",
    "due_before=%00",
    "search=%00",
    "page_size=0",
    "page_size=-1",
]


@pytest.mark.parametrize("query", QUERIES)
def test_invalid_list_parameters_are_400_naming_the_parameter(auth_client, query):
    name = query.split("=")[0]

    response = auth_client.get(f"{TASKS}?{query}")

    assert response.status_code == 400, response.content
    assert name in response.json()


def test_huge_page_size_is_capped_not_an_error(auth_client):
    response = auth_client.get(f"{TASKS}?page_size=1000000")

    assert response.status_code == 200


@pytest.mark.parametrize("page", ["2", "0", "-1", "abc", "99999999999999999999"])
def test_page_out_of_range_is_404_json(auth_client, page):
    response = auth_client.get(f"{TASKS}?page={page}")

    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "path",
    [
        f"{TASKS}not-a-uuid/",
        f"{TASKS}123/mark_done/",
        f"{TASKS}00000000-0000-0000-0000-000000000000/",
        "/api/v1/nothing-here/",
        "/api/v2/tasks/",
        "/static/drf_spectacular_sidecar/nope.js",
    ],
)
def test_unknown_things_are_404_json(auth_client, path):
    response = auth_client.get(path)

    assert response.status_code == 404
    assert response.json()["detail"] in (NOT_FOUND, "Task not found.", "Not found.")


def test_body_over_one_mebibyte_is_413_json(auth_client):
    body = '{"title": "' + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + '"}'

    response = auth_client.post(TASKS, body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {
        "detail": BODY_TOO_LARGE.format(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    }


@pytest.mark.parametrize("method", ["delete", "put", "patch"])
def test_wrong_method_is_405_json(auth_client, method):
    response = getattr(auth_client, method)(f"{TASKS}stats/")

    assert response.status_code == 405
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "header", ["Token", "Token a b", "Bearer x", "Token \u00e9\u00e9", "Basic Zm9vOmJhcg=="]
)
def test_malformed_authorization_is_401_json(api_client, header):
    response = api_client.get(TASKS, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert "detail" in response.json()


def test_bad_host_header_is_400_json(api_client):
    response = api_client.get("/health", HTTP_HOST="evil.example.com")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_register_with_hostile_values(api_client):
    for body in (
        {"username": "x" * 151, "email": "a@b.co", "password": "secure123"},
        {"username": "ok", "email": "a@b.co", "password": "p" * 129},
        {"username": "ok\x00", "email": "a@b.co", "password": "secure123"},
        {"username": ["ok"], "email": "a@b.co", "password": "secure123"},
    ):
        response = api_client.post("/api/v1/auth/register/", body, format="json")
        assert response.status_code == 400, body
        assert response.json()


def test_static_path_traversal_is_refused_with_json(api_client):
    response = api_client.get("/static/../taskmgr/settings.py")

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}


@pytest.mark.parametrize("suffix", ["", "{id}/", "{id}/mark_done/", "stats/"])
def test_options_requests_are_answered(auth_client, user, make_task, suffix):
    path = TASKS + suffix.format(id=make_task(user).id)

    response = auth_client.options(path)

    assert response.status_code == 200
    assert response.json()["name"]


@pytest.mark.parametrize(
    ("path", "accept", "status"),
    [
        ("/api/v1/schema/?format=bogus", None, 404),
        ("/api/v1/schema/", "text/html", 406),
        ("/api/v1/docs/?format=json", None, 404),
        ("/api/v1/tasks/?format=yaml", None, 404),
        ("/api/v1/tasks/", "text/html", 406),
    ],
)
def test_errors_are_json_even_where_success_is_yaml_or_html(auth_client, path, accept, status):
    headers = {"HTTP_ACCEPT": accept} if accept else {}

    response = auth_client.get(path, **headers)

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
