"""Idempotency-Key and If-Match against real gunicorn workers (processes, not threads).

Each test's servers share one fresh database: SQLite, or when the suite runs on PostgreSQL
(DATABASE_URL) a new PostgreSQL database, since the races are the database's to settle.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.api.servers import ApiServer, manage

TASKS = "/api/v1/tasks/"
BODY = {"title": "Renew the certificate", "priority": "HIGH"}


def _token(base: str, name: str = "alice") -> dict[str, str]:
    credentials = {"username": name, "email": f"{name}@x.example", "password": "Sturdy-pass-42"}
    registered = requests.post(f"{base}/api/v1/auth/register/", json=credentials, timeout=30)
    assert registered.status_code == 201, registered.text
    return {"Authorization": f"Token {registered.json()['token']}"}


@pytest.fixture
def database(tmp_path) -> Iterator[dict[str, str]]:
    """The environment naming this test's database: a fresh PostgreSQL one when the suite
    runs on PostgreSQL, else an SQLite file."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield {"SQLITE_PATH": str(tmp_path / "shared.sqlite3")}
        return
    name = f"idem_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield {"DATABASE_URL": f"{url.rsplit('/', 1)[0]}/{name}"}
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def api_server(tmp_path, redis_server, database):
    """Start gunicorn (2 workers) on the test's database; stopped after the test."""
    servers: list[ApiServer] = []

    def start(**env: str) -> ApiServer:
        env = {**database, **env}
        server = ApiServer(tmp_path / f"api{len(servers)}", redis_server.url, workers=2, env=env)
        servers.append(server)
        server.process.start()
        return server

    yield start
    for server in servers:
        server.process.stop()


def _user_in(api: ApiServer) -> dict[str, str]:
    """A user and token made in the server's database directly (no auth endpoint)."""
    made = manage(
        api.env,
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "from rest_framework.authtoken.models import Token; "
        "print(Token.objects.create(user=User.objects.create_user('carol')).key)",
    )
    assert made.returncode == 0, made.stderr
    return {"Authorization": f"Token {made.stdout.strip().splitlines()[-1]}"}


def _at_once(count: int, send) -> list[requests.Response]:
    """`send(i)` from `count` threads released together."""
    barrier = threading.Barrier(count)

    def one(i):
        barrier.wait()
        return send(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def _tasks(base: str, auth: dict) -> list[dict]:
    listed = requests.get(f"{base}{TASKS}", headers=auth, timeout=30)
    assert listed.status_code == 200, listed.text
    return listed.json()["results"]


def test_twenty_concurrent_posts_with_one_key_create_one_task(api_server):
    base = api_server().url
    auth = _token(base)
    headers = {**auth, "Idempotency-Key": str(uuid.uuid4())}

    answers = _at_once(
        20, lambda i: requests.post(f"{base}{TASKS}", json=BODY, headers=headers, timeout=60)
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert set(statuses) <= {201, 409}, [(a.status_code, a.text) for a in answers]
    created = [answer.json() for answer in answers if answer.status_code == 201]
    tasks = _tasks(base, auth)
    assert len(tasks) == 1, tasks
    assert created and all(body == tasks[0] for body in created), (created, tasks)
    # once the first has finished, every repeat replays it
    again = requests.post(f"{base}{TASKS}", json=BODY, headers=headers, timeout=30)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == tasks[0]


def test_with_redis_down_the_database_still_runs_a_key_once(api_server):
    # Without the shared marker (Redis unreachable) only the unique (user, key) constraint
    # stands between concurrent repeats: they wait for the first and replay it.
    api = api_server(REDIS_URL="redis://127.0.0.1:1/0")
    auth = _user_in(api)  # registering needs the auth limiter, which needs Redis
    headers = {**auth, "Idempotency-Key": str(uuid.uuid4())}

    answers = _at_once(
        10, lambda i: requests.post(f"{api.url}{TASKS}", json=BODY, headers=headers, timeout=60)
    )

    assert {answer.status_code for answer in answers} <= {201, 409}, [a.text for a in answers]
    assert len(_tasks(api.url, auth)) == 1
    # the losers' inserts were rolled back, and so was their count
    assert _tasks_created(api.url) == 1


def _tasks_created(base: str) -> float:
    scraped = requests.get(f"{base}/metrics", timeout=30)
    assert scraped.status_code == 200, scraped.text
    for family in text_string_to_metric_families(scraped.text):
        if family.name == "taskmgr_tasks_created":
            return sum(sample.value for sample in family.samples if sample.name.endswith("_total"))
    raise AssertionError("taskmgr_tasks_created_total is not exported")


def test_a_replay_after_a_restart_still_replays(api_server, redis_server):
    first = api_server()
    auth = _token(first.url)
    headers = {**auth, "Idempotency-Key": str(uuid.uuid4())}
    created = requests.post(f"{first.url}{TASKS}", json=BODY, headers=headers, timeout=30)
    assert created.status_code == 201, created.text
    first.process.stop()
    redis_server.client().flushall()  # nothing of it left in Redis either: the database keeps it

    restarted = api_server()  # the same database
    again = requests.post(f"{restarted.url}{TASKS}", json=BODY, headers=headers, timeout=30)

    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == created.json()
    assert len(_tasks(restarted.url, auth)) == 1


def _race_two_patches(api: ApiServer, auth: dict) -> None:
    task = requests.post(f"{api.url}{TASKS}", json=BODY, headers=auth, timeout=30).json()
    url = f"{api.url}{TASKS}{task['id']}/"
    etag = requests.get(url, headers=auth, timeout=30).headers["ETag"]

    answers = _at_once(
        2,
        lambda i: requests.patch(
            url, json={"title": f"client {i}"}, headers={**auth, "If-Match": etag}, timeout=30
        ),
    )

    assert sorted(a.status_code for a in answers) == [200, 412], [a.text for a in answers]
    won = next(a for a in answers if a.status_code == 200)
    lost = next(a for a in answers if a.status_code == 412)
    assert lost.json()["etag"] == won.headers["ETag"] != etag
    current = requests.get(url, headers=auth, timeout=30)
    retried = requests.patch(
        url,
        json={"priority": "LOW"},
        headers={**auth, "If-Match": current.headers["ETag"]},
        timeout=30,
    )
    assert retried.status_code == 200, retried.text
    assert retried.json()["title"] == won.json()["title"]


def test_two_clients_patching_with_one_etag_one_wins_the_other_gets_412(api_server):
    api = api_server()
    auth = _token(api.url)
    for _ in range(5):  # several rounds, so the two really overlap across the workers
        _race_two_patches(api, auth)


def test_concurrent_writes_without_if_match_all_land_each_with_its_own_etag(api_server):
    api = api_server()
    auth = _token(api.url)
    task = requests.post(f"{api.url}{TASKS}", json=BODY, headers=auth, timeout=30).json()
    url = f"{api.url}{TASKS}{task['id']}/"

    answers = _at_once(
        10, lambda i: requests.patch(url, json={"title": f"edit {i}"}, headers=auth, timeout=30)
    )

    assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers]
    assert len({a.headers["ETag"] for a in answers}) == 10  # one version, one state
    final = requests.get(url, headers=auth, timeout=30)
    assert final.headers["ETag"] == '"11"'
    by_etag = {a.headers["ETag"]: a.json()["title"] for a in answers}
    assert final.json()["title"] == by_etag['"11"']
