"""The task list beside a plain DRF app: a page of 20 of 500 tasks, SQLite and PostgreSQL.

    python -m bench.task_list [--quick] [--postgres URL]

In-process: both WSGI applications called directly (no socket), in one process per
database, on the same rows: ours as shipped (all its middleware, metrics in multiprocess
mode as under gunicorn, throttling in Redis) and bench/reference_drf.py. Before timing, the
two pages must be the same JSON. Variants run interleaved (bench.rounds.rotations), ours
twice as an A/A pair; each round gives each variant's p50 and p95 wall-clock latency, and
the rows are per-round ratios ours / reference. The PostgreSQL database is a fresh one this
run creates (on the server of --postgres) and drops. Target: ≤ 0.6 on both, and no more SQL
queries per page than the reference. Also, under gunicorn (2 workers, SQLite): wrk -t2 -c8.
"""

from __future__ import annotations

import cProfile
import io
import json
import logging
import os
import pstats
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path

from bench import cli, servers, wrk
from bench.compare import compared, ratios
from bench.report import Result, judged, percentile, spread
from bench.rounds import rotations
from bench.workspace import workspace

PATH = "/api/v1/tasks/"
TARGET_RATIO = 0.6
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
VARIANTS = ("ours", "ours again", "reference")  # ours twice: the A/A pair


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

    from bench.seed import TASKS

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
    if status != "200 OK" or f'"count":{TASKS}'.encode() not in body:
        raise RuntimeError(f"task list answered {status}: {body[:300]!r}")
    return get


def ms_per_request(get, requests: int, clock=time.perf_counter) -> float:
    start = clock()
    for _ in range(requests):
        get()
    return (clock() - start) / requests * 1000


def latencies_ms(get, requests: int) -> list[float]:
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        get()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def query_count(get) -> int:
    """The SQL queries one request makes, counted by a wrapper (Django empties its own query
    log at request start)."""
    from django.db import connection

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        get()
    return len(queries)


# Where a request's time goes, by the function each phase runs in, ours' or the reference's
# (pstats' cumulative time; cProfile slows everything, so only the shares mean something).
PHASES = {
    "auth": [("rest_framework/request.py", "_authenticate")],
    "throttle": [("rest_framework/views.py", "check_throttles")],
    "page+count queries": [
        ("taskmgr/pagination.py", "paginate_counted"),  # ours
        ("rest_framework/generics.py", "paginate_queryset"),  # the reference's
    ],
    "serialisation": [
        ("tasks/serializers.py", "task_rows_output"),
        ("rest_framework/serializers.py", "data"),
    ],
    "rendering": [("rest_framework/response.py", "rendered_content")],
}


def profile_shares(get, requests: int) -> dict[str, float]:
    """Each phase's share (%) of the requests' time; the rest is the middleware chain,
    URL resolution, DRF's dispatch and the WSGI handler."""
    profile = cProfile.Profile()
    profile.runcall(lambda: [get() for _ in range(requests)])
    stats = pstats.Stats(profile).stats  # (file, line, function) -> (.., .., .., cumulative, ..)
    total = max(cumulative for *_, cumulative, _callers in stats.values())

    def seconds(where) -> float:
        # the outermost match (the largest cumulative): nested ones are inside it
        return max(
            (
                cumulative
                for (file, _line, function), (*_, cumulative, _callers) in stats.items()
                if any(file.endswith(suffix) and function == name for suffix, name in where)
            ),
            default=0.0,
        )

    shares = {phase: 100 * seconds(where) / total for phase, where in PHASES.items()}
    shares["middleware, routing, dispatch"] = 100 - sum(shares.values())
    return shares


def measure(env: dict[str, str], requests: int, rounds: int) -> dict:
    """In a fresh process (one Django per database): each variant's per-round p50 and p95
    (ms) and each one's SQL queries per page."""
    os.environ.update(env)
    import django

    django.setup()
    from bench.reference_drf import ReferenceHandler
    from bench.seed import seed

    # the active-users flusher's last flush at exit finds Redis gone: expected here
    logging.getLogger("metrics.active_users").setLevel(logging.CRITICAL)
    token = seed()
    ours, reference = page_getter(token), page_getter(token, ReferenceHandler())
    if json.loads(ours()[1]) != json.loads(reference()[1]):
        raise RuntimeError("ours and the reference answer different pages")
    gets = {"ours": ours, "ours again": ours, "reference": reference}
    for get in gets.values():
        latencies_ms(get, requests // 5)  # warm-up: lazy imports, first-use caches
    p50: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    p95: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    for _, order in rotations(VARIANTS, rounds):
        for variant in order:
            samples = latencies_ms(gets[variant], requests)
            p50[variant].append(percentile(samples, 50))
            p95[variant].append(percentile(samples, 95))
    return {
        "p50": p50,
        "p95": p95,
        "queries": {"ours": query_count(ours), "reference": query_count(reference)},
        "profile": {
            "ours": profile_shares(ours, requests),
            "reference": profile_shares(reference, requests),
        },
    }


@contextmanager
def postgres_database(server_url: str):
    """A fresh database on the server of `server_url`, dropped afterwards; its URL."""
    import psycopg

    name = f"bench_task_list_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{server_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _in_process(tmp: Path, redis_url: str, database: str, env: dict, requests: int, rounds: int):
    folder = tmp / database
    (folder / "multiproc").mkdir(parents=True)
    env = {
        **servers.api_env(sqlite_path=folder / "db.sqlite3", redis_url=redis_url),
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "multiproc"),
        **env,
    }
    cli.log(f"task_list: in-process on {database}, {rounds} rounds x {requests} requests")
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as child:
        return child.submit(measure, env, requests, rounds).result()


def _profile_note(profile: dict) -> str:
    return "; ".join(
        f"{variant}: " + ", ".join(f"{phase} {share:.0f} %" for phase, share in shares.items())
        for variant, shares in profile.items()
    )


def _rows(database: str, measured: dict) -> list[Result]:
    queries = measured["queries"]
    rows = []
    for quantile in ("p50", "p95"):
        note = f"SQL queries per page: ours {queries['ours']}, reference {queries['reference']}"
        if quantile == "p50":
            shares = _profile_note(measured["profile"])
            note += f"; where the time goes (cProfile, share of a request): {shares}"
        ms = measured[quantile]
        aa = ratios(ms["ours again"], ms["ours"])
        rows.append(
            compared(
                f"task list: page of 20 of 500, in-process, {database}, {quantile} (ours / DRF)",
                ms["ours"],
                ms["reference"],
                sign="≤",
                bound=TARGET_RATIO,
                unit="ms",
                aa=aa,
                note=note,
            )
        )
    rows.append(
        judged(
            f"task list: SQL queries per page, {database} (ours / DRF reference)",
            f"ours {queries['ours']}, reference {queries['reference']}",
            [queries["ours"]],
            "≤",
            queries["reference"],
        )
    )
    return rows


def add_arguments(parser) -> None:
    parser.add_argument(
        "--postgres",
        default=POSTGRES_URL,
        metavar="URL",
        help=f"a PostgreSQL server to create the run's database on (default: {POSTGRES_URL})",
    )


def run(args) -> list[Result]:
    requests, rounds = (30, 5) if args.quick else (200, 15)
    seconds, wrk_rounds = (1, 1) if args.quick else (10, 3)
    rows = []
    with workspace("task-list") as (tmp, redis, stack):
        sqlite = _in_process(tmp, redis.url, "SQLite", {}, requests, rounds)
        rows += _rows("SQLite", sqlite)
        with postgres_database(args.postgres) as url:
            postgres = _in_process(
                tmp, redis.url, "PostgreSQL", {"DATABASE_URL": url}, requests, rounds
            )
        rows += _rows("PostgreSQL", postgres)

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
        *rows,
        Result(
            "task list: page of 20 of 500, gunicorn 2 workers, wrk -t2 -c8 (req/s, metrics off)",
            f"{spread(rates, '{:.0f}')} req/s; p50 {spread(p50, '{:.1f}')} ms, "
            f"p99 {spread(p99, '{:.1f}')} ms",
        ),
    ]


if __name__ == "__main__":
    sys.exit(cli.main("task_list", run, __doc__.split("\n")[0], add_arguments))
