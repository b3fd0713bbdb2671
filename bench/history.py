"""Alert-history list latency at 1k, 100k and 1M stored alerts, filtered and not.

    python -m bench.history [--quick]

Each size lives in its own private redis-server, filled through the writer's own Lua
script (`alertstore.writer.record_transitions`, batches of BATCH), so the records and
indexes are exactly what the bridge stores. Then `alertstore.reader.list_alerts` (the
API's read, a page of 20) is timed in-process, rounds interleaved across the sizes.
Target: p95 at the largest size within 1.5x of its p95 at the smallest (ratio per
round, median (min..max) over the rounds).
"""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from itertools import chain

import bench  # noqa: F401 - import roots
from alertstore import layout, reader, writer
from alertstore.records import AlertEvent
from bench import cli
from bench.report import Result, judged, percentile, spread
from testkit.redis_server import RedisServer

SIZES = (1_000, 100_000, 1_000_000)
QUICK_SIZES = (200, 2_000, 10_000)
BATCH = 500
TARGET_RATIO = 1.5
# (alertname, severity label, alert_type): what our rules fire, in rotation
KINDS = (
    ("HighErrorRate", "error", "high_error_rate"),
    ("HighLatency", "warning", "high_latency"),
    ("ApiDown", "critical", "api_down"),
)
FILTERS = {
    "no filter": {},
    "severity=ERROR": {"severity": "ERROR"},
    "severity=ERROR&status=firing": {"severity": "ERROR", "status": "firing"},
}
START = datetime(2024, 1, 1, tzinfo=UTC)


def event(i: int) -> AlertEvent:
    """Alert number i: one a minute, every tenth still firing, the rest resolved."""
    alertname, severity, alert_type = KINDS[i % len(KINDS)]
    starts_at = START + timedelta(minutes=i)
    firing = i % 10 == 0
    return AlertEvent(
        status="firing" if firing else "resolved",
        labels={
            "alertname": alertname,
            "severity": severity,
            "alert_type": alert_type,
            "instance": f"api-{i % 7}:8000",
            "job": "taskmgr-api",
        },
        annotations={
            "summary": f"{alertname} on api-{i % 7}",
            "description": "Error ratio above threshold over the last 5 minutes.",
            "value": f"{5 + i % 50}.5",
            "threshold": "5",
            "unit": "%",
            "runbook_url": "http://127.0.0.1:8000/docs/runbook#high-error-rate",
            "dashboard_url": "http://127.0.0.1:3000/d/taskmgr",
        },
        starts_at=starts_at,
        ends_at=None if firing else starts_at + timedelta(minutes=5),
        generator_url="http://127.0.0.1:9090/graph?g0.expr=taskmgr",
        fingerprint=f"{i:016x}",
    )


def fill(redis, count: int) -> None:
    """Store alerts 0..count-1 through the writer, then drop the Slack outbox it queued
    (no delivery worker runs here, and the reader never looks at it)."""
    now = datetime.now(UTC)
    for first in range(0, count, BATCH):
        events = [event(i) for i in range(first, min(first + BATCH, count))]
        writer.record_transitions(
            redis, events, now=now, cooldown_seconds=300, flap_window_seconds=3600
        )
    redis.delete(layout.OUTBOX_PENDING_KEY)
    stored = redis.zcard(layout.INDEX_KEY)
    if stored != count:
        raise RuntimeError(f"expected {count} stored alerts, the index holds {stored}")


def label(size: int) -> str:
    for unit, name in ((1_000_000, "M"), (1_000, "k")):
        if size >= unit and size % unit == 0:
            return f"{size // unit}{name}"
    return str(size)


def measure(clients, *, rounds: int, calls: int) -> dict[tuple[str, int], list[list[float]]]:
    """(filter, size) -> per round, the ms of each list call."""
    samples = {(name, size): [] for name in FILTERS for size in clients}
    for _ in range(rounds):
        for name, filters in FILTERS.items():
            for size, redis in clients.items():
                times = []
                for _ in range(calls):
                    start = time.perf_counter()
                    reader.list_alerts(redis, limit=20, **filters)
                    times.append((time.perf_counter() - start) * 1000)
                samples[name, size].append(times)
    return samples


def run(args) -> list[Result]:
    sizes = QUICK_SIZES if args.quick else SIZES
    rounds, calls = (2, 20) if args.quick else (5, 200)
    with ExitStack() as stack:
        clients = {}
        for size in sizes:
            server = RedisServer().start()
            stack.callback(server.cleanup)
            clients[size] = server.client()
            started = time.monotonic()
            fill(clients[size], size)
            cli.log(f"history: {size} alerts stored in {time.monotonic() - started:.1f}s")
        samples = measure(clients, rounds=rounds, calls=calls)
    small, large = sizes[0], sizes[-1]
    results = []
    for name in FILTERS:
        p95 = {size: percentile(list(chain(*samples[name, size])), 95) for size in sizes}
        ratios = [
            percentile(big, 95) / percentile(little, 95)
            for big, little in zip(samples[name, large], samples[name, small], strict=True)
        ]
        at = ", ".join(f"{label(s)} {p95[s]:.2f} ms" for s in sizes)
        results.append(
            judged(
                f"alert history list (page of 20), {name}: "
                f"p95 at {label(large)} / p95 at {label(small)}, per round",
                f"{spread(ratios)}; p95 over all rounds {at}",
                ratios,
                "≤",
                TARGET_RATIO,
            )
        )
    return results


if __name__ == "__main__":
    sys.exit(cli.main("history", run, __doc__.split("\n")[0]))
