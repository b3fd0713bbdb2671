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

Where ours spends more than the reference, measured 2026-12-01 on the loaded 2-core box
(`python -m bench.ingest_profile`: both apps in one process on Flask's test client, each on
its own private Redis; its cProfile; Redis' INFO commandstats and its CPU from /proc):

* Redis: the lifecycle script takes ~90-100 µs per new alert where the reference's takes
  ~15, almost all of it the record's 16 index entries: without its ZADDs the script takes
  ~30-38 µs, and their cost grows with the indexes (16 sorted sets of every record, where
  the reference adds to one). The rest is the record's decode and encode (~10 µs), the
  fingerprint hash, the schema check and the outbox entry. The script names the index keys
  itself (layout.LUA_REINDEX) instead of being passed all 48 a record could be in, and
  builds only the lifecycle rows it looks up (lifecycle.lua_rules): the script went from
  105-111 µs to 91-95 and redis-server's CPU per webhook from 116-122 µs to 100-104
  (5,000 webhooks through the writer, one client, runs of both trees interleaved).
* The app, its script call answered by a stub (`--no-script`): ~290 µs per webhook
  against the reference's ~190, the test client's share included. The ~100 µs are work
  the reference does not do: the full validation (every label and annotation checked as
  valid Unicode), the full record (new_record and its JSON, ~15 µs), the token, two
  counters in the multiprocess files (~2.5 µs each), the script's fingerprint and outcome
  handling, and a larger answer.
* The app, with Redis: ~550-610 µs of CPU per webhook against the reference's ~300-380,
  so the script call costs ours ~250-300 µs where the reference's costs ~120-180: the wait
  for the script costs the worker more CPU than the call itself (~124 µs per call timed
  inside the request loop against ~61 in a tight loop of calls alone): while it waits,
  redis-server and the other processes run on its core and its caches go cold. The
  reference waits ~15 µs; this part shrinks only with the script's time.

In this benchmark's rows (bench/results.md; CPU per alert from /proc, the figure a loaded
box moves least) ours went from 829 µs in gunicorn + 262 in Redis (main, before this
change) to 762 + 274 (745 + 268 in a more loaded run), against the reference's 522-561 +
65-67: the rate ratio follows the CPU ratio (0.59 here, 0.59 on main). 0.8 needs ours at ≤
~740 µs per alert in all, ~300 less: about everything it spends beyond the reference but
the index entries (~450 µs: ~210 in Redis, most of it the index entries, unloaded ~60 of
the script's ~95 µs; ~240 in the app, the work above and its wait on the script), and all
of it is work the reference does not do.

Nothing per request beyond that: no before/after_request hooks, no request middleware, the
webhook's INFO line stops at the level check (gunicorn leaves the root logger at WARNING),
one EVALSHA is the webhook's only round trip to Redis (a HighErrorRate or HighLatency
firing also reads its record first, for bridge.prom), and the JSON body is parsed once.
Removed on the way: a pinned Redis client built per webhook (~60 µs, needed only for
WAIT), the script's SHA1 per call, and the 48 index keys among its arguments (redis-py's
pack_command: 53 µs for the 70 arguments then, 23 µs for the 22 now, while a benchmark
loaded the box).

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
from bench.compare import compared, ratios
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
    "ours does beyond the reference: Redis runs the lifecycle script (16 index entries, most"
    " of its ~90-100 µs unloaded against ~15; record decode and encode, fingerprint state,"
    " outbox entry), the app validates in full, builds the full record, checks the token and"
    " counts (~100 µs in-process beyond the reference's work) and waits out the script"
    " (python -m bench.ingest_profile); one Redis round trip, JSON parsed once"
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
            aa=ratios(ours.rates, twin.rates),
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
