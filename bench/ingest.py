"""Bridge webhook ingest rate beside a bare Flask webhook, in one run: alerts stored per second.

    python -m bench.ingest [--quick]

Three servers under the bridge's gunicorn.conf.py (2 workers) on one private Redis: ours
(the bridge's web app: token, metrics, lifecycle script, full index set, outbox entry), its
A/A twin, and bench/reference_webhook.py (parse, validate, one Lua call storing the record
and one index entry). Each round puts the same wrk load (-t2 -c8, bench/ingest.lua: one new
alert per webhook) on one server at a time, in a rotated order; ratios are per round.
After the rounds each store must hold at least as many records as wrk counted answers.

Beside the rates, the CPU each alert cost the server's processes and Redis (from /proc,
over the same wrk runs): a shared machine's load moves the rates far more than it moves
these, so they say where ours spends more than the reference.

The alert is ApiDown, which the bridge does not measure in Prometheus: a new HighErrorRate
or HighLatency firing also asks Prometheus for its culprits (bridge.prom, bounded by
PROMETHEUS_QUERY_BUDGET_SECONDS), a wait on another server that is no part of ingesting.

Where ours spends more than the reference (cProfile of both apps in-process on Flask's
test client over a private Redis, Redis' INFO commandstats, and this benchmark's CPU
figures; 2026-12-01): in Redis, the lifecycle script takes ~70 µs per alert against the
reference's ~6 µs, about half of it the record's 16 index entries (ZADDs), the rest the
record's decode and encode, the fingerprint's state, the outbox entry and the rules table
the script builds on every call (~7 µs). In the app, packing the script's 70 arguments
(48 of them the declared index keys, sent pre-encoded) takes ~35 µs and building the full
record ~16 µs; the token compare and both counters ~2 µs, validation ~5 µs. The JSON body
is parsed once, validated once, and one EVALSHA is the webhook's only round trip to Redis
(a HighErrorRate or HighLatency firing also reads its record first, for bridge.prom).
Removed on the way: a pinned Redis client built per webhook (~60 µs, needed only for
WAIT), the script's SHA1 per call, the index keys' encoding per call. What is left to win
needs the index keys named inside the script from severity and alert_type rather than
passed (layout.LUA_REINDEX, shared with the notifications and trim scripts).

Targets: ours ≥ 0.8 of the reference's rate (issue 16), and ≥ 1,000 alerts/s.
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from alertstore import layout
from bench import BRIDGE_DIR, cli, reference_webhook, servers, wrk
from bench.compare import compared
from bench.report import Result, judged, spread
from bench.rounds import rotations
from bench.workspace import workspace
from testkit.ports import free_port
from testkit.processes import ServerProcess

SCRIPT = Path(__file__).with_name("ingest.lua")
VARIANTS = ("ours", "ours-b", "reference")  # ours-b: the A/A twin of ours
TARGET_VS_REFERENCE = 0.8
TARGET = 1_000
# the profile in the docstring, in short
WHERE = (
    "ours does beyond the reference: Redis runs the lifecycle script (16 index entries,"
    " record decode and encode, fingerprint state, outbox entry: ~70 µs unloaded against"
    " 6 µs), the app packs its 70 arguments (48 index keys, ~35 µs) and builds the full"
    " record (~16 µs); token and counters ~2 µs; one Redis round trip, JSON parsed once"
)


@dataclass
class Measured:
    """One variant's figures, a value per round (answers also count the warm-up)."""

    rates: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    app_us: list[float] = field(default_factory=list)  # CPU per alert, gunicorn's processes
    redis_us: list[float] = field(default_factory=list)  # CPU per alert, redis-server
    answered: int = 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` and its live children (gunicorn's workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    ticks = 0
    for each in (pid, *map(int, children)):
        # the fields after the command's closing parenthesis: utime, stime are 12th and 13th
        fields = Path(f"/proc/{each}/stat").read_text().rpartition(")")[2].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def reference_server(tmp: Path, *, redis_url: str, token: str) -> servers.Server:
    """bench/reference_webhook.py under the bridge's gunicorn.conf.py and environment."""
    port = free_port()
    env = {
        **servers.base_env(),
        **servers.stack_env("bridge", token),
        "REDIS_URL": redis_url,
        "BRIDGE_PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "multiproc"),  # gunicorn.conf.py requires one
    }
    url = f"http://127.0.0.1:{port}"
    argv = [servers.GUNICORN, "-c", "gunicorn.conf.py", "bench.reference_webhook:create_app()"]
    process = ServerProcess(
        "reference", argv, log_dir=tmp, env=env, cwd=BRIDGE_DIR, ready_url=f"{url}/health"
    )
    return servers.Server(url, process)


def measure(
    url: str, pids: tuple[int, int], into: Measured, *, seconds: float, run_id: str, token: str
) -> None:
    """One wrk run against `url`; its rate, p99 and CPU per alert of (server, Redis)."""
    before = [cpu_seconds(pid) for pid in pids]
    report = wrk.run(url, seconds=seconds, script=SCRIPT, script_args=(run_id, token))
    app, redis = (cpu_seconds(pid) - b for pid, b in zip(pids, before, strict=True))
    into.rates.append(report.requests_per_second)
    into.p99_ms.append(report.latency_ms[99])
    into.app_us.append(1e6 * app / report.requests)
    into.redis_us.append(1e6 * redis / report.requests)
    into.answered += report.requests


def run(args) -> list[Result]:
    rounds, seconds = (1, 1) if args.quick else (10, 3)
    token = secrets.token_urlsafe(24)
    measured = {name: Measured() for name in VARIANTS}
    with workspace("ingest") as (tmp, redis, stack):
        urls, pids = {}, {}
        for name in VARIANTS:
            folder = tmp / name
            folder.mkdir()
            start = reference_server if name == "reference" else servers.bridge_server
            server = start(folder, redis_url=redis.url, token=token)
            stack.enter_context(server.process)
            urls[name] = f"{server.url}/webhook"
            pids[name] = (server.process.proc.pid, redis.process.proc.pid)
        for name, url in urls.items():  # warm-up: imports, the script cache, connections
            warm_up = wrk.run(url, seconds=1, script=SCRIPT, script_args=(name, token))
            measured[name].answered += warm_up.requests
        for r, order in rotations(VARIANTS, rounds):
            for name in order:
                measure(
                    urls[name],
                    pids[name],
                    measured[name],
                    seconds=seconds,
                    run_id=f"{name}-{r}",
                    token=token,
                )
            rates = {n: round(m.rates[-1]) for n, m in measured.items()}
            cli.log(f"ingest: round {r + 1}: {rates} alerts/s")
        client = redis.client()
        stored = {
            "ours": client.zcard(layout.INDEX_KEY),
            "reference": client.zcard(reference_webhook.INDEX_KEY),
        }
    ours, twin, reference = (measured[name] for name in VARIANTS)
    for store, expected in (
        ("ours", ours.answered + twin.answered),
        ("reference", reference.answered),
    ):
        if stored[store] < expected:
            raise RuntimeError(
                f"wrk got {expected} answers from {store} but only {stored[store]} are stored"
            )
    cpu = (
        f"CPU per alert: ours {statistics.median(ours.app_us):.0f} µs in gunicorn"
        f" + {statistics.median(ours.redis_us):.0f} µs in Redis, reference"
        f" {statistics.median(reference.app_us):.0f} + {statistics.median(reference.redis_us):.0f}"
        " µs"
    )
    return [
        compared(
            "bridge webhook ingest / bare Flask webhook (bench/reference_webhook.py),"
            " 1 new alert per webhook, gunicorn 2 workers, wrk -t2 -c8 (alerts/s)",
            ours.rates,
            reference.rates,
            sign="≥",
            bound=TARGET_VS_REFERENCE,
            unit="alerts/s",
            fmt="{:.0f}",
            aa=[a / b for a, b in zip(ours.rates, twin.rates, strict=True)],
            note=f"{cpu}; {WHERE}",
        ),
        judged(
            "bridge webhook ingest, 1 new alert per webhook, gunicorn 2 workers, wrk -t2 -c8",
            f"{spread(ours.rates, '{:.0f}')} alerts/s; p99 {spread(ours.p99_ms, '{:.1f}')} ms"
            f" (reference p99 {spread(reference.p99_ms, '{:.1f}')} ms); {stored['ours']} stored",
            ours.rates,
            "≥",
            TARGET,
            "{:,} alerts/s",
        ),
    ]


if __name__ == "__main__":
    sys.exit(cli.main("ingest", run, __doc__.split("\n")[0]))
