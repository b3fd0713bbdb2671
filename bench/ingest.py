"""Bridge webhook ingest rate: alerts stored per second.

    python -m bench.ingest [--quick]

The bridge's web app under its own gunicorn.conf.py (2 workers) on a private Redis; wrk
(-t2 -c8, bench/ingest.lua) POSTs Alertmanager v4 webhooks of one new alert each, so every
request is a full validate + atomic Lua write + outbox entry. After the rounds the store
must hold at least as many records as wrk counted answers. Target: ≥ 1,000 alerts/s.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from alertstore import layout
from bench import cli, servers, wrk
from bench.report import Result, judged, spread
from bench.workspace import workspace

SCRIPT = Path(__file__).with_name("ingest.lua")
TARGET = 1_000


def run(args) -> list[Result]:
    rounds, seconds = (1, 1) if args.quick else (3, 10)
    token = secrets.token_urlsafe(24)
    with workspace("ingest") as (tmp, redis, stack):
        bridge = servers.bridge_server(tmp, redis_url=redis.url, token=token)
        stack.enter_context(bridge.process)
        url = f"{bridge.url}/webhook"
        warm_up = wrk.run(url, seconds=1, script=SCRIPT, script_args=("warmup", token))
        reports = []
        for r in range(rounds):
            reports.append(
                wrk.run(url, seconds=seconds, script=SCRIPT, script_args=(f"r{r}", token))
            )
            cli.log(f"ingest: round {r + 1}: {reports[-1].requests_per_second:.0f} alerts/s")
        stored = redis.client().zcard(layout.INDEX_KEY)
    answered = warm_up.requests + sum(r.requests for r in reports)
    if stored < answered:
        raise RuntimeError(f"wrk got {answered} answers but only {stored} alerts are stored")
    rates = [r.requests_per_second for r in reports]
    p99 = [r.latency_ms[99] for r in reports]
    return [
        judged(
            "bridge webhook ingest, 1 new alert per webhook, gunicorn 2 workers, wrk -t2 -c8",
            f"{spread(rates, '{:.0f}')} alerts/s; p99 {spread(p99, '{:.1f}')} ms; {stored} stored",
            rates,
            "≥",
            TARGET,
            "{:,} alerts/s",
        )
    ]


if __name__ == "__main__":
    sys.exit(cli.main("ingest", run, __doc__.split("\n")[0]))
