"""`/metrics` scrape time with 4 gunicorn workers.

    python -m bench.scrape [--quick]

The API (metrics on, 4 workers) first serves mixed traffic over many routes and statuses
(bench/paths.lua) so every worker has written its series; then wrk -t1 -c1 scrapes
/metrics back to back, as one Prometheus would. Target: median scrape < 50 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path

import requests

from bench import cli, servers, wrk
from bench.report import Result, judged, spread
from bench.workspace import workspace

SCRIPT = Path(__file__).with_name("paths.lua")
WORKERS = 4
TARGET_MS = 50.0


def traffic_paths(api_url: str, token: str) -> list[str]:
    """Routes x statuses a real day produces: lists, filters, a detail, stats, 404s, 403, 405."""
    headers = {"Authorization": f"Token {token}"}
    tasks = requests.get(f"{api_url}/api/v1/tasks/", headers=headers, timeout=10).json()
    task = tasks["results"][0]["id"]
    return [
        "/api/v1/tasks/",
        "/api/v1/tasks/?status=DONE&ordering=-due_date",
        "/api/v1/tasks/?page=2",
        f"/api/v1/tasks/{task}/",
        "/api/v1/tasks/00000000-0000-0000-0000-000000000000/",  # 404
        "/api/v1/tasks/stats/",
        "/api/v1/tasks/?page=99",  # 404
        "/api/v1/tasks/?status=NOPE",  # 400
        "/api/v1/alerts/",  # 403: not staff
        "/api/v1/auth/token/",  # 405
        "/health",
        "/no/such/path",  # <unmatched>
    ]


def run(args) -> list[Result]:
    rounds, seconds = (1, 1) if args.quick else (5, 5)
    with workspace("scrape") as (tmp, redis, stack):
        database, token = servers.seed_database(tmp, redis.url)
        api = servers.api_server(
            tmp, "api", database=database, redis_url=redis.url, workers=WORKERS
        )
        stack.enter_context(api.process)
        paths = traffic_paths(api.url, token)
        wrk.run(
            api.url,
            seconds=2 if args.quick else 5,
            headers={"Authorization": f"Token {token}"},
            script=SCRIPT,
            script_args=tuple(paths),
            allow_non_2xx=True,  # the 4xx are part of the mix
        )
        body = requests.get(f"{api.url}/metrics", timeout=10).text
        series = sum(1 for line in body.splitlines() if line and not line.startswith("#"))
        workers = len(list((tmp / "api" / "multiproc").glob("histogram_*.db")))
        reports = []
        for r in range(rounds):
            reports.append(wrk.run(f"{api.url}/metrics", seconds=seconds, connections=1))
            cli.log(f"scrape: round {r + 1}: p50 {reports[-1].latency_ms[50]:.1f} ms")
    p50 = [r.latency_ms[50] for r in reports]
    p99 = [r.latency_ms[99] for r in reports]
    return [
        judged(
            f"/metrics scrape, {WORKERS} gunicorn workers, wrk -t1 -c1 (median latency)",
            f"{spread(p50, '{:.1f}')} ms; p99 {spread(p99, '{:.1f}')} ms; {series} series "
            f"from {workers} workers' files",
            p50,
            "<",
            TARGET_MS,
            "{:g} ms",
        )
    ]


if __name__ == "__main__":
    sys.exit(cli.main("scrape", run, __doc__.split("\n")[0]))
