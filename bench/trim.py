"""The history trim at 1M stored alerts: how long it takes, what a record costs in Redis, and
list latency while a trim runs.

    python -m bench.trim [--quick] [--size N]

One private redis-server filled through the writer like bench/history.py (one alert a
minute, every tenth still firing), then every Slack message marked sent (as a worker
would, indexes moved), so the resolved ones may go. Memory: INFO used_memory before and
after the fill, per record (its JSON and its 16 index entries). The retention is set so
the older half of the history is due. Rounds interleaved: `reader.list_alerts` (a page of
20, no filter and status=resolved) timed while no trim runs, then while
`python -m alertstore.trim` (a separate process, as the worker's thread is beside the
API) removes records, stopped after the round. Target: p95 while trimming within 1.5x of
p95 without, per round. Then the rest of the trim, timed to the end.
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from itertools import chain

import bench  # noqa: F401 - import roots
from alertstore import layout, reader, records, trim
from bench import REPO, cli
from bench.history import START, fill, label
from bench.report import Result, judged, percentile, spread
from testkit.redis_server import RedisServer

SIZE, QUICK_SIZE = 1_000_000, 20_000
TARGET_RATIO = 1.5
FILTERS = {"no filter": {}, "status=resolved": {"status": "resolved"}}
MARK_BATCH = 1000

# Mark every notification of these records sent and move them to the `sent` delivery
# indexes: what the worker's marks leave. KEYS: the records, then per record its
# layout.record_index_keys (ARGV: per record id, group base).
_DELIVERED = (
    layout.LUA_REINDEX
    + """
local n = #ARGV / 2
for i = 1, n do
  local id, base = ARGV[2 * i - 1], tonumber(ARGV[2 * i])
  local rec = cjson.decode(redis.call('GET', KEYS[i]))
  local before = rec.delivery
  for _, note in ipairs(rec.notifications) do
    if note.state == 'pending' then note.state, note.sent_at = 'sent', rec.created_at end
  end
  rec.delivery = 'sent'
  local score = redis.call('ZSCORE', KEYS[base + 1], id)
  reindex(base, id, score, rec.status, before, rec.status, rec.delivery)
  redis.call('SET', KEYS[i], cjson.encode(rec))
end
return n
"""
)


def deliver_all(redis) -> None:
    script = redis.register_script(_DELIVERED)
    ids = [layout.text(m) for m in redis.zrange(layout.INDEX_KEY, 0, -1)]
    for first in range(0, len(ids), MARK_BATCH):
        batch = ids[first : first + MARK_BATCH]
        found = [records.decode(raw) for raw in redis.mget(map(layout.record_key, batch))]
        groups, keys, args = {}, [layout.record_key(i) for i in batch], []
        for record in found:
            group = record["severity"], record["alert_type"]
            if group not in groups:
                groups[group] = len(keys)
                keys += layout.record_index_keys(*group)
            args += [record["id"], groups[group]]
        script(keys=keys, args=args)


def retention_for(size: int, now: datetime) -> int:
    """Days that leave the newer half of a `size`-minute history kept."""
    return math.ceil((now - (START + timedelta(minutes=size / 2))) / timedelta(days=1))


def list_ms(redis, filters: dict) -> float:
    start = time.perf_counter()
    reader.list_alerts(redis, limit=20, **filters)
    return (time.perf_counter() - start) * 1000


def start_trim(url: str, days: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "alertstore.trim", "--redis-url", url, "--days", str(days)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    )


def measure(redis, url: str, days: int, *, rounds: int, calls: int):
    """(filter, trimming?) -> per round, the ms of each list call."""
    samples = {(name, busy): [] for name in FILTERS for busy in (False, True)}
    for _ in range(rounds):
        for busy in (False, True):
            if busy:
                before = redis.zcard(trim.RESOLVED_INDEX)
                process = start_trim(url, days)
                while redis.zcard(trim.RESOLVED_INDEX) == before:  # its batches have begun
                    time.sleep(0.01)
            for name, filters in FILTERS.items():
                samples[name, busy].append([list_ms(redis, filters) for _ in range(calls)])
            if busy:
                if process.poll() is not None:
                    raise RuntimeError("the trim ended within the round: more records needed")
                process.terminate()  # between or inside a script: each batch is atomic
                process.wait()
    return samples


def add_arguments(parser) -> None:
    parser.add_argument(
        "--size",
        type=int,
        help=f"alerts stored (default {SIZE}, --quick {QUICK_SIZE}): a smaller history on a "
        "loaded machine (filling 1M takes 5 min on an idle one)",
    )


def run(args) -> list[Result]:
    size = args.size or (QUICK_SIZE if args.quick else SIZE)
    rounds, calls = (2, 50) if args.quick else (5, 400)
    server = RedisServer().start()
    try:
        redis = server.client()
        empty = int(redis.info("memory")["used_memory"])
        started = time.monotonic()
        fill(redis, size)
        deliver_all(redis)
        cli.log(f"trim: {size} alerts stored and delivered in {time.monotonic() - started:.0f}s")
        per_record = (int(redis.info("memory")["used_memory"]) - empty) / size
        now = datetime.now(UTC)
        days = retention_for(size, now)
        samples = measure(redis, server.url, days, rounds=rounds, calls=calls)
        left = redis.zcard(layout.INDEX_KEY)
        redis.config_resetstat()
        started = time.monotonic()
        done = trim.trim(redis, days=days, now=now)
        took = time.monotonic() - started
        script = redis.info("commandstats")["cmdstat_evalsha"]  # the trim's batches only
        kept = redis.zcard(layout.INDEX_KEY)
        after = int(redis.info("memory")["used_memory"])
    finally:
        server.cleanup()
    removed = size - kept
    results = [
        Result(
            f"alert history memory per record ({label(size)} through the writer, JSON + 16 "
            "index entries, every message sent; INFO used_memory delta / records)",
            f"{per_record:.0f} bytes; used_memory {(empty + per_record * size) / 2**20:.0f} MiB "
            f"full, {after / 2**20:.0f} MiB after trimming {removed} (the allocator keeps some)",
        ),
        Result(
            f"history trim, {label(size)} stored (one a minute, the older half due, every "
            f"tenth firing): the last {done.removed} removals, batches of {trim.BATCH}",
            f"{took:.1f} s = {done.removed / took:.0f} records/s, "
            f"{took / max(1, done.batches) * 1000:.1f} ms per batch with its "
            f"{trim.PAUSE_SECONDS * 1000:g} ms pause, of which Redis ran the script "
            f"{script['usec_per_call'] / 1000:.1f} ms; "
            f"{size - left} removed "
            f"during the rounds before, {kept} kept",
        ),
    ]
    for name in FILTERS:
        ratios = [
            percentile(busy, 95) / percentile(idle, 95)
            for busy, idle in zip(samples[name, True], samples[name, False], strict=True)
        ]
        p = {busy: list(chain(*samples[name, busy])) for busy in (False, True)}
        results.append(
            judged(
                f"alert history list (page of 20), {name}, {label(size)} stored: p95 while "
                "`python -m alertstore.trim` runs / p95 while not, per round",
                f"{spread(ratios)}; idle p50 {percentile(p[False], 50):.2f} ms p95 "
                f"{percentile(p[False], 95):.2f} ms, trimming p50 {percentile(p[True], 50):.2f} "
                f"ms p95 {percentile(p[True], 95):.2f} ms",
                ratios,
                "≤",
                TARGET_RATIO,
            )
        )
    return results


if __name__ == "__main__":
    sys.exit(cli.main("trim", run, __doc__.split("\n")[0], add_arguments))
