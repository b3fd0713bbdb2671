"""The task list itself: a page of 20 tasks, the API's own cost before any metrics.

    python -m bench.task_list [--quick]

In-process: the WSGI application called directly (no socket), token auth, SQLite, metrics
off; per-request mean over rounds. Under gunicorn (2 workers, metrics off): wrk -t2 -c8
throughput. Target: ≤ 2 ms per page in-process.
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

from bench import cli, servers, wrk
from bench.report import Result, judged, spread
from bench.workspace import workspace

PATH = "/api/v1/tasks/"
TARGET_MS = 2.0


def setup_django(tmp: Path, redis_url: str, metrics: str = "off") -> str:
    """Configure this process like an API worker and seed its database; the token."""
    env = servers.api_env(sqlite_path=tmp / "inproc.sqlite3", redis_url=redis_url, metrics=metrics)
    os.environ.update(env)
    import django

    django.setup()
    from bench.seed import seed

    return seed()


def page_getter(token: str, application=None):
    """A function that GETs the task list through the WSGI application (default: Django's),
    as gunicorn would, and returns (status line, body)."""
    from django.core.wsgi import get_wsgi_application

    application = application or get_wsgi_application()
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": PATH,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "HTTP_AUTHORIZATION": f"Token {token}",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }

    def get() -> tuple[str, bytes]:
        statuses = []
        body = application({**environ, "wsgi.input": io.BytesIO()}, lambda s, h: statuses.append(s))
        try:
            return statuses[0], b"".join(body)
        finally:
            body.close()  # request_finished: Django's end-of-request bookkeeping, as gunicorn does

    status, body = get()
    if status != "200 OK" or b'"count":25' not in body:
        raise RuntimeError(f"task list answered {status}: {body[:300]!r}")
    return get


def ms_per_request(get, requests: int, clock=time.perf_counter) -> float:
    start = clock()
    for _ in range(requests):
        get()
    return (clock() - start) / requests * 1000


def _in_process(token: str, *, requests: int, rounds: int) -> tuple[list[float], int]:
    """Per-request ms of each round, and the SQL queries one request makes."""
    from django.db import connection

    get = page_getter(token)
    queries = []  # counted by a wrapper: Django empties its own query log at request start

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        get()
    return [ms_per_request(get, requests) for _ in range(rounds)], len(queries)


def run(args) -> list[Result]:
    requests, rounds = (50, 3) if args.quick else (1000, 7)
    seconds, wrk_rounds = (1, 1) if args.quick else (10, 3)
    with workspace("task-list") as (tmp, redis, stack):
        token = setup_django(tmp, redis.url)
        cli.log(f"task_list: in-process, {rounds} rounds x {requests} requests")
        per_round, queries = _in_process(token, requests=requests, rounds=rounds)

        database, token = servers.seed_database(tmp, redis.url)
        api = servers.api_server(tmp, "off", database=database, redis_url=redis.url, metrics="off")
        stack.enter_context(api.process)
        headers = {"Authorization": f"Token {token}"}
        wrk.run(api.url + PATH, seconds=1, headers=headers)  # warm-up
        cli.log(f"task_list: gunicorn, {wrk_rounds} rounds x {seconds}s of wrk -t2 -c8")
        reports = [
            wrk.run(api.url + PATH, seconds=seconds, headers=headers) for _ in range(wrk_rounds)
        ]
    rates = [r.requests_per_second for r in reports]
    p50 = [r.latency_ms[50] for r in reports]
    p99 = [r.latency_ms[99] for r in reports]
    return [
        judged(
            "task list: page of 20, in-process (ms per request, metrics off)",
            f"{spread(per_round, '{:.2f}')} ms, {queries} SQL queries",
            per_round,
            "≤",
            TARGET_MS,
            "{:g} ms",
        ),
        Result(
            "task list: page of 20, gunicorn 2 workers, wrk -t2 -c8 (req/s, metrics off)",
            f"{spread(rates, '{:.0f}')} req/s; p50 {spread(p50, '{:.1f}')} ms, "
            f"p99 {spread(p99, '{:.1f}')} ms",
        ),
    ]


if __name__ == "__main__":
    sys.exit(cli.main("task_list", run, __doc__.split("\n")[0]))
