"""Reads that scan a window of the alert history: alerts/stats/ and alerts/?q=.

    python -m bench.window_reads [--quick]

Two private redis-servers, a small history and a large one (1M alerts), each filled
through the writer's own Lua like bench/history.py (one alert a minute, its `event`).
Timed in-process, rounds interleaved: `alertstore.stats.incident_stats` (the stats API's
read and computation) over the newest 10k and 1k alerts, and `reader.search_alerts` (q=)
over its default window (the last 24 h: 1440 alerts here). Target: stats over 10k costs
the same in the large history as in the small one (p95 ratio ≤ 1.5, per round), since it
reads the window through the time index and never the rest.
"""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from datetime import timedelta
from itertools import chain

import bench  # noqa: F401 - import roots
from alertstore import reader, stats
from bench import cli
from bench.history import START, fill, label
from bench.report import Result, judged, percentile, spread
from testkit.redis_server import RedisServer

SIZES = (20_000, 1_000_000)
WINDOWS = (10_000, 1_000)
QUICK_SIZES, QUICK_WINDOWS = (2_000, 20_000), (1_000, 100)
TARGET_RATIO = 1.5
QUERY = "api-3"  # the instance label of one alert in 7


def end(size: int):
    """`now` for a history of `size` alerts: a minute after its newest."""
    return START + timedelta(minutes=size)


def stats_call(redis, size: int, window: int) -> None:
    since = START + timedelta(minutes=size - window)  # the newest `window` alerts
    stats.incident_stats(redis, since=since, until=end(size), now=end(size), retention_days=90)


def search_call(redis, size: int) -> int:
    total, _ = reader.search_alerts(redis, QUERY, now=end(size))
    return total


def timed(call, *args) -> float:
    start = time.perf_counter()
    call(*args)
    return (time.perf_counter() - start) * 1000


def measure(clients, windows, *, rounds: int, calls: int):
    """(what, size) -> per round, the ms of each call; what = a window size or "q"."""
    samples = {(what, size): [] for what in (*windows, "q") for size in clients}
    for _ in range(rounds):
        for size, redis in clients.items():
            for window in windows:
                samples[window, size].append(
                    [timed(stats_call, redis, size, window) for _ in range(calls)]
                )
            samples["q", size].append([timed(search_call, redis, size) for _ in range(calls)])
    return samples


def run(args) -> list[Result]:
    sizes, windows = (QUICK_SIZES, QUICK_WINDOWS) if args.quick else (SIZES, WINDOWS)
    rounds, calls = (2, 3) if args.quick else (5, 10)
    filled = {}
    with ExitStack() as stack:
        clients = {}
        for size in sizes:
            server = RedisServer().start()
            stack.callback(server.cleanup)
            clients[size] = server.client()
            started = time.monotonic()
            fill(clients[size], size)
            filled[size] = time.monotonic() - started
            cli.log(f"window_reads: {size} alerts stored in {filled[size]:.1f}s")
        matches = search_call(clients[sizes[-1]], sizes[-1])
        samples = measure(clients, windows, rounds=rounds, calls=calls)
    small, large = sizes
    p = {
        key: (percentile(list(chain(*s)), 50), percentile(list(chain(*s)), 95))
        for key, s in samples.items()
    }
    results = [
        Result(
            f"alert stats (alerts/stats/ read + compute), {label(large)} stored: "
            f"window of {label(w)} alerts (p50, p95)",
            f"{p[w, large][0]:.1f} ms, {p[w, large][1]:.1f} ms "
            f"({label(large)} filled through the writer in {filled[large]:.0f} s)",
        )
        for w in windows
    ]
    biggest = windows[0]
    ratios = [
        percentile(big, 95) / percentile(little, 95)
        for big, little in zip(samples[biggest, large], samples[biggest, small], strict=True)
    ]
    results.append(
        judged(
            f"alert stats, window of {label(biggest)}: p95 with {label(large)} stored / "
            f"with {label(small)} stored, per round",
            f"{spread(ratios)}; p95 {p[biggest, small][1]:.1f} ms at {label(small)}, "
            f"{p[biggest, large][1]:.1f} ms at {label(large)}",
            ratios,
            "≤",
            TARGET_RATIO,
        )
    )
    results.append(
        Result(
            f"alerts/?q= scan, default window (24 h = 1440 alerts), {label(large)} stored "
            "(p50, p95)",
            f"{p['q', large][0]:.1f} ms, {p['q', large][1]:.1f} ms ({matches} matches of "
            f"q={QUERY}; at {label(small)} stored p95 {p['q', small][1]:.1f} ms)",
        )
    )
    return results


if __name__ == "__main__":
    sys.exit(cli.main("window_reads", run, __doc__.split("\n")[0]))
