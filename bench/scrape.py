"""`/metrics` at scale: procmetrics beside stock prometheus_client, and the HTTP scrape.

    python -m bench.scrape [--quick]

Folders written by real prometheus_client in subprocesses shaped like API workers: the
API's request counter and latency histogram (its buckets) over ROUTES routes x methods x
statuses, and its livesum in-flight gauge, about 5,400 series. Two folders:

* no dead workers: the files of WORKERS live workers (they stay running);
* dead workers: the same plus the files of DEAD workers that exited, marked dead with
  `mark_process_dead` as the stock gunicorn setup does.

Each round, in rotated order (bench.rounds.rotations), every variant renders the text
exposition CALLS times in-process and the round keeps its median:

* ours: `procmetrics.exposition(folder)`, what the API's and the bridge's /metrics return;
* stock: `MultiProcessCollector` + `generate_latest` on the same folder, twice (A/A pair);
* today (dead case): the code before keys were cached: dead workers folded, then the stock
  merge and `generate_latest` under the folder lock.

Ours folds the dead workers' files at its first scrape, as in production (gunicorn's
child_exit does it even sooner); stock reads them on every scrape; ours and today run on a
copy of the dead case folder. Before timing, ours must print exactly what stock prints.
Targets: ours <= 0.5 x stock without dead workers; with them no slower than today (ours /
stock <= today / stock, both measured in the same rounds). The scrape that folds the dead
workers (every file new to ours, its merge plan rebuilt) is timed apart, one call per round
on a fresh copy, ours beside today (A/A: today twice): <= FOLDING_BOUND.

Then the API (metrics on, 4 gunicorn workers) serves mixed traffic over many routes and
statuses (bench/paths.lua), workers that exited leave the same ~5,000 series in its folder,
every worker serves a first (warm-up) scrape, and wrk -t1 -c1 scrapes /metrics back to
back, as one Prometheus would: median < 50 ms.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

import procmetrics
from bench import cli, servers, wrk
from bench.compare import compared, ratios
from bench.report import Result, judged, spread
from bench.rounds import rotations
from bench.workspace import workspace
from procmetrics.folder import folder_lock

SCRIPT = Path(__file__).with_name("paths.lua")
WORKERS = 4
DEAD = 16
ROUTES = 30
TARGET_MS = 50.0
# A scrape that meets new files or keys merges like stock and renders its template with
# generate_latest, then fills it: today's cost plus the fill, hence a 10 % allowance.
FOLDING_BOUND = 1.1

# One API-shaped worker: every route x method x status seen a few times; it prints its pid
# once written and keeps running until its stdin closes.
WRITER = """
import os, random, sys
from prometheus_client import Counter, Gauge, Histogram
random.seed(os.getpid())
labels = ("method", "route", "status")
buckets = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 1, 2.5, 5, 10)
requests = Counter("bench_http_requests_total", "HTTP requests answered.", labels)
latency = Histogram("bench_http_request_duration_seconds", "Latency.", labels, buckets=buckets)
Gauge("bench_http_requests_in_flight", "In flight.", multiprocess_mode="livesum").inc()
for r in range(int(sys.argv[1])):
    for method in ("GET", "POST"):
        for status in ("200", "201", "400", "404", "500"):
            for _ in range(random.randint(1, 5)):
                requests.labels(method, f"api/v1/bench{r}/<uuid:pk>/", status).inc()
                latency.labels(method, f"api/v1/bench{r}/<uuid:pk>/", status).observe(
                    random.expovariate(20)
                )
print(os.getpid(), flush=True)
sys.stdin.read()
"""


@contextmanager
def writers(folder: Path, n: int, *, live: bool) -> Iterator[list[int]]:
    """n writer processes that filled `folder`; live ones run until the block ends, the
    others have exited (and are marked dead, as stock does) when it starts."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    argv = [sys.executable, "-c", WRITER, str(ROUTES)]
    procs = [
        subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(n)
    ]
    try:
        for proc in procs:
            proc.stdout.readline()
        if not live:
            for proc in procs:
                proc.communicate()
                mark_process_dead(proc.pid, str(folder))
        yield [proc.pid for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.communicate()


def stock(folder: Path) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(registry, path=str(folder))
    return generate_latest(registry)


def today(folder: Path) -> bytes:
    """/metrics as it was before the keys were cached (its active-users collector aside)."""
    procmetrics.fold_dead_workers(str(folder))
    with folder_lock(str(folder), exclusive=False):
        return stock(folder)


def ours(folder: Path) -> bytes:
    return procmetrics.exposition(str(folder))


def names(body: bytes) -> set[str]:
    """Every series (name and labels) of an exposition."""
    lines = body.decode().splitlines()
    return {line.rpartition(" ")[0] for line in lines if line and not line.startswith("#")}


def series(body: bytes) -> int:
    return len(names(body))


def timed_rounds(
    variants: dict[str, Callable[[], bytes]], rounds: int, calls: int, case: str
) -> dict[str, list[float]]:
    """Per variant, the median milliseconds of one call in each round."""
    per_round: dict[str, list[float]] = {name: [] for name in variants}
    for r, order in rotations(list(variants), rounds):
        for name in order:
            times = []
            for _ in range(calls):
                start = time.perf_counter()
                variants[name]()
                times.append((time.perf_counter() - start) * 1000)
            per_round[name].append(statistics.median(times))
        figures = ", ".join(f"{name} {ms[-1]:.1f} ms" for name, ms in per_round.items())
        cli.log(f"scrape: {case}: round {r + 1}: {figures}")
    return per_round


def folding_rounds(tmp: Path, dead: Path, rounds: int) -> dict[str, list[float]]:
    """Per variant, the milliseconds of the scrape that folds the dead workers' files: each
    call gets a fresh copy of the unfolded folder (at the same path every round, so ours
    keeps what it decoded before, as a worker does; every file is new to it)."""
    variants = {"ours": ours, "today": today, "today again": today}
    per_round: dict[str, list[float]] = {name: [] for name in variants}
    for r, order in rotations(list(variants), rounds):
        for name in order:
            folder = tmp / f"folding-{name.replace(' ', '-')}"
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(dead, folder)
            start = time.perf_counter()
            variants[name](folder)
            per_round[name].append((time.perf_counter() - start) * 1000)
        figures = ", ".join(f"{name} {ms[-1]:.1f} ms" for name, ms in per_round.items())
        cli.log(f"scrape: folding {DEAD} dead workers: round {r + 1}: {figures}")
    return per_round


def in_process(tmp: Path, rounds: int, calls: int) -> list[Result]:
    live, dead, dead_ours = tmp / "live", tmp / "dead", tmp / "dead-ours"
    for folder in (live, dead):
        folder.mkdir()
    with (
        writers(live, WORKERS, live=True),
        writers(dead, WORKERS, live=True),
        writers(dead, DEAD, live=False),
    ):
        shutil.copytree(dead, dead_ours)
        n = series(stock(live))
        # the same text as stock on the same folder (the tests check it over every mode);
        # folded, the dead workers' counts are the same series, added in another order
        assert ours(live) == stock(live), "ours differs from stock (no dead workers)"
        assert ours(dead_ours) == stock(dead_ours), "ours differs from stock (dead workers)"
        assert names(ours(dead_ours)) == names(stock(dead)), "folding changed the series"
        files = len(list(dead.glob("*.db")))
        clean = timed_rounds(
            {
                "ours": lambda: ours(live),
                "stock": lambda: stock(live),
                "stock again": lambda: stock(live),
            },
            rounds,
            calls,
            "no dead workers",
        )
        with_dead = timed_rounds(
            {
                "ours": lambda: ours(dead_ours),
                "today": lambda: today(dead_ours),
                "stock": lambda: stock(dead),
            },
            rounds,
            calls,
            f"{DEAD} dead workers",
        )
        folding = folding_rounds(tmp, dead, rounds)
    today_ratio = statistics.median(ratios(with_dead["today"], with_dead["stock"]))
    name = f"/metrics exposition in-process, {n} series, {WORKERS} live workers' files"
    return [
        compared(
            f"{name}, no dead workers: procmetrics / stock MultiProcessCollector",
            clean["ours"],
            clean["stock"],
            sign="≤",
            bound=0.5,
            unit="ms",
            fmt="{:.1f}",
            aa=ratios(clean["stock again"], clean["stock"]),
            note=f"median of {calls} calls per round",
        ),
        compared(
            f"{name} + {DEAD} dead workers' ({files} files for stock):"
            " procmetrics / stock, bound today / stock",
            with_dead["ours"],
            with_dead["stock"],
            sign="≤",
            bound=round(today_ratio, 2),
            unit="ms",
            fmt="{:.1f}",
            note=(
                f"today {spread(with_dead['today'], '{:.1f}')} ms, today / stock "
                f"{spread(ratios(with_dead['today'], with_dead['stock']))}; "
                f"median of {calls} calls per round"
            ),
        ),
        compared(
            f"{name}: the scrape that folds {DEAD} dead workers' files"
            " (files new to ours, plan rebuilt): procmetrics / today",
            folding["ours"],
            folding["today"],
            sign="≤",
            bound=FOLDING_BOUND,
            unit="ms",
            fmt="{:.0f}",
            aa=ratios(folding["today again"], folding["today"]),
            note="one call per round",
        ),
    ]


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


def http_scrape(tmp: Path, redis_url: str, stack, rounds: int, seconds: int) -> Result:
    database, token = servers.seed_database(tmp, redis_url)
    api = servers.api_server(tmp, "api", database=database, redis_url=redis_url, workers=WORKERS)
    stack.enter_context(api.process)
    paths = traffic_paths(api.url, token)
    wrk.run(
        api.url,
        seconds=seconds,
        headers={"Authorization": f"Token {token}"},
        script=SCRIPT,
        script_args=tuple(paths),
        allow_non_2xx=True,  # the 4xx are part of the mix
    )
    folder = tmp / "api" / "multiproc"
    with writers(folder, WORKERS, live=False):  # workers recycled earlier: the scrape folds them
        pass
    n = series(requests.get(f"{api.url}/metrics", timeout=30).content)
    # Each worker decodes the folder at its first scrape (as one does once per start in
    # production); the figure is the steady state Prometheus sees, so warm them all first.
    wrk.run(f"{api.url}/metrics", seconds=seconds, connections=WORKERS)
    workers = len(list(folder.glob("histogram_[0-9]*.db")))
    reports = []
    for r in range(rounds):
        reports.append(wrk.run(f"{api.url}/metrics", seconds=seconds, connections=1))
        cli.log(f"scrape: http: round {r + 1}: p50 {reports[-1].latency_ms[50]:.1f} ms")
    p50 = [report.latency_ms[50] for report in reports]
    p99 = [report.latency_ms[99] for report in reports]
    return judged(
        f"/metrics scrape, {WORKERS} gunicorn workers, wrk -t1 -c1 (median latency)",
        f"{spread(p50, '{:.1f}')} ms; p99 {spread(p99, '{:.1f}')} ms; {n} series from "
        f"{workers} live workers' files and the archives of {WORKERS} exited ones",
        p50,
        "<",
        TARGET_MS,
        "{:g} ms",
    )


def run(args) -> list[Result]:
    rounds, calls, seconds = (2, 2, 1) if args.quick else (7, 5, 5)
    with workspace("scrape") as (tmp, redis, stack):
        results = in_process(tmp, rounds, calls)
        results.append(http_scrape(tmp, redis.url, stack, rounds if args.quick else 5, seconds))
    return results


if __name__ == "__main__":
    sys.exit(cli.main("scrape", run, __doc__.split("\n")[0]))
