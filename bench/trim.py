"""The history trim at 1M stored alerts: what a record costs in Redis, list latency while a
trim runs, how fast it trims, and that it removed exactly what it must.

    python -m bench.trim [--quick] [--size N]

One private redis-server filled through the writer's own script like bench/history.py (one
alert a minute, every tenth still firing: ages from ~2 years down), by two processes at
once (disjoint alerts, so Redis runs one writer script while the other process builds its
next batch), then every Slack message marked sent as a worker would (indexes moved) except
those of every UNDELIVERED-th alert, which still owes one. Memory: INFO used_memory before
and after, per record (its JSON, its fingerprint hash and its 16 index entries). The
retention is set so that the oldest ~DUE alerts are due. Rounds interleaved
(`bench.rounds.rotations`): `reader.list_alerts` (a page of 20, no filter and
status=resolved) timed while no trim runs (twice: the A/A pair) and while
`python -m alertstore.trim` (a separate process, as the worker's thread is beside the API)
removes records, stopped after the round. Target: p95 while trimming within 1.5x of p95
without, per round (`bench.compare.compared`). Then the rest of the trim, timed to the end,
and checked: every due record gone with its fingerprint hash and every index entry, every
record that must stay (firing, owing a message, ended after the cutoff) still there, every
other record and index unchanged in size, each listing's total right.
"""

from __future__ import annotations

import math
import multiprocessing
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from itertools import chain

import redis as redis_lib

import bench  # noqa: F401 - import roots
from alertstore import layout, reader, records, trim, writer
from bench import REPO, cli
from bench.compare import compared, ratios
from bench.history import BATCH, START, event, label
from bench.report import Result, percentile
from bench.rounds import rotations
from testkit.redis_server import RedisServer

SIZE, QUICK_SIZE = 1_000_000, 20_000
DUE = 10_000  # about a week of the history at one alert a minute
UNDELIVERED = 100  # every 100th alert still owes a message
FILL_PROCESSES = 2
MINUTE = timedelta(minutes=1)
TARGET_RATIO = 1.5
FILTERS = {"no filter": {}, "status=resolved": {"status": "resolved"}}
VARIANTS = ("idle", "idle again", "trimming")
MARK_BATCH = 1000

# Mark every notification of these records sent and move them to the `sent` delivery
# indexes: what the worker's marks leave. KEYS: the records (ARGV: their ids).
_DELIVERED = (
    layout.LUA_REINDEX
    + """
local n = #ARGV
for i = 1, n do
  local id = ARGV[i]
  local rec = cjson.decode(redis.call('GET', KEYS[i]))
  local before = rec.delivery
  for _, note in ipairs(rec.notifications) do
    if note.state == 'pending' then note.state, note.sent_at = 'sent', rec.created_at end
  end
  rec.delivery = 'sent'
  local score = redis.call('ZSCORE', INDEX_KEY, id)
  reindex(rec, id, score, rec.status, before, rec.status, rec.delivery)
  redis.call('SET', KEYS[i], cjson.encode(rec))
end
return n
"""
)


def owes(i: int) -> bool:
    """Alert i still owes Slack its messages: every UNDELIVERED-th of the oldest 2 x DUE
    (a backlog of a few hundred outbox entries, as after a Slack outage)."""
    return i % UNDELIVERED == 5 and i < 2 * DUE


def deliver(redis, script, alerts: range) -> None:
    """Mark the messages of these alerts sent (but those that `owes`), as a worker would."""
    ids = [records.alert_id(e.fingerprint, e.starts_at) for e in map(event, alerts)]
    ids = [alert_id for i, alert_id in zip(alerts, ids, strict=True) if not owes(i)]
    script(keys=[layout.record_key(i) for i in ids], args=ids)


def _fill_share(url: str, part: int, count: int) -> None:
    """Write alerts in BATCH runs part, part + FILL_PROCESSES, ... through the writer, and
    deliver them."""
    redis = redis_lib.Redis.from_url(url)
    now = datetime.now(UTC)
    script = redis.register_script(_DELIVERED)
    for first in range(part * BATCH, count, FILL_PROCESSES * BATCH):
        alerts = range(first, min(first + BATCH, count))
        writer.record_transitions(
            redis, map(event, alerts), now=now, cooldown_seconds=300, flap_window_seconds=3600
        )
        deliver(redis, script, alerts)


def fill(redis, url: str, count: int) -> None:
    """Alerts 0..count-1 written and delivered (module docstring); of the outbox the writer
    queued, only the entries of the messages still owed stay."""
    with multiprocessing.get_context("fork").Pool(FILL_PROCESSES) as pool:
        pool.starmap(_fill_share, [(url, part, count) for part in range(FILL_PROCESSES)])
    owed = [
        records.decode(raw)
        for raw in redis.mget(
            layout.record_key(records.alert_id(e.fingerprint, e.starts_at))
            for e in map(event, filter(owes, range(count)))
        )
    ]
    redis.delete(layout.OUTBOX_PENDING_KEY)
    entries = [
        layout.outbox_entry(r["id"], n)
        for r in owed
        for n, note in enumerate(r["notifications"])
        if note["state"] == "pending"
    ]
    if entries:
        redis.rpush(layout.OUTBOX_PENDING_KEY, *entries)
    stored = redis.zcard(layout.INDEX_KEY)
    if stored != count:
        raise RuntimeError(f"expected {count} stored alerts, the index holds {stored}")


def retention_for(due: int, now: datetime) -> int:
    """Whole days that leave about the oldest `due` alerts before the cutoff (at most a
    day's worth fewer)."""
    return math.ceil((now - (START + timedelta(minutes=due))) / timedelta(days=1))


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
    """(filter, variant) -> per round, the ms of each list call."""
    samples = {(name, variant): [] for name in FILTERS for variant in VARIANTS}
    for filters in FILTERS.values():  # warm up (the first calls after the fill are slower)
        for _ in range(calls):
            list_ms(redis, filters)
    for _, order in rotations(VARIANTS, rounds):
        for variant in order:
            busy = variant == "trimming"
            if busy:
                before = redis.zcard(trim.RESOLVED_INDEX)
                process = start_trim(url, days)
                while redis.zcard(trim.RESOLVED_INDEX) == before:  # its batches have begun
                    time.sleep(0.01)
            for name, filters in FILTERS.items():
                samples[name, variant].append([list_ms(redis, filters) for _ in range(calls)])
            if busy:
                if process.poll() is not None:
                    raise RuntimeError("the trim ended within the round: more records needed")
                process.terminate()  # between or inside a script: each batch is atomic
                process.wait()
    return samples


def old_members(redis, cutoff_epoch: float) -> dict[str, set[bytes]]:
    """Every index key -> its members that started before the cutoff."""
    return {
        layout.text(key): set(redis.zrange(key, "-inf", f"({cutoff_epoch!r}", byscore=True))
        for key in redis.scan_iter(match=f"{layout.INDEX_KEY_PREFIX}*", count=1000)
    }


def check(redis, size: int, before: dict, sizes: dict, cutoff: datetime) -> tuple[int, int]:
    """Raise unless the trim removed exactly the due records (module docstring); (removed,
    kept though started before the cutoff)."""
    limit = records.isoformat(cutoff)
    old = {i: event(i) for i in range(min(size, math.ceil((cutoff - START) / MINUTE)))}
    gone = [
        i
        for i, e in old.items()
        if e.status == "resolved" and records.isoformat(e.ends_at) < limit and not owes(i)
    ]
    kept = old.keys() - set(gone)
    ids = {i: records.alert_id(e.fingerprint, e.starts_at) for i, e in old.items()}
    removed = {ids[i].encode() for i in gone}
    after = old_members(redis, records.epoch(cutoff))
    for key, members in before.items():
        if after.get(key, set()) != members - removed:
            raise RuntimeError(f"{key}: its entries before the cutoff are not the kept ones")
        if redis.zcard(key) != sizes[key] - len(members & removed):
            raise RuntimeError(f"{key}: entries after the cutoff changed")
    for alerts, want in ((gone, 0), (kept, 1)):
        keys = [
            k
            for i in alerts
            for k in (layout.record_key(ids[i]), layout.fingerprint_key(old[i].fingerprint))
        ]
        for first in range(0, len(keys), MARK_BATCH):
            chunk = keys[first : first + MARK_BATCH]
            if redis.exists(*chunk) != want * len(chunk):
                raise RuntimeError("a due record or its hash kept, or a kept one removed")
    resolved = size - math.ceil(size / 10)  # every tenth fires
    for filters, total in (({}, size - len(gone)), ({"status": "resolved"}, resolved - len(gone))):
        if reader.list_alerts(redis, limit=20, **filters)[0] != total:
            raise RuntimeError(f"listing {filters}: total is not {total}")
    return len(gone), len(kept)


def add_arguments(parser) -> None:
    parser.add_argument(
        "--size",
        type=int,
        help=f"alerts stored (default {SIZE}, --quick {QUICK_SIZE}): a smaller history on a "
        "loaded machine (filling 1M takes ~3 min)",
    )


def run(args) -> list[Result]:
    size = args.size or (QUICK_SIZE if args.quick else SIZE)
    rounds, calls = (2, 50) if args.quick else (7, 300)
    server = RedisServer().start()
    try:
        redis = server.client()
        empty = int(redis.info("memory")["used_memory"])
        started = time.monotonic()
        fill(redis, server.url, size)
        cli.log(f"trim: {size} alerts stored and delivered in {time.monotonic() - started:.0f}s")
        per_record = (int(redis.info("memory")["used_memory"]) - empty) / size
        days = retention_for(min(DUE, size // 2), datetime.now(UTC))
        # the final trim's time: after the rounds', so theirs remove a subset of its
        final = datetime.now(UTC) + timedelta(hours=1)
        horizon = trim.cutoff(final, days)
        before = old_members(redis, records.epoch(horizon))
        sizes = {key: redis.zcard(key) for key in before}
        samples = measure(redis, server.url, days, rounds=rounds, calls=calls)
        in_rounds = size - redis.zcard(layout.INDEX_KEY)
        redis.config_resetstat()
        started = time.monotonic()
        done = trim.trim(redis, days=days, now=final)
        took = time.monotonic() - started
        script = redis.info("commandstats")["cmdstat_evalsha"]  # the trim's batches only
        removed, old_kept = check(redis, size, before, sizes, horizon)
        after = int(redis.info("memory")["used_memory"])
    finally:
        server.cleanup()
    results = [
        Result(
            f"alert history memory per record ({label(size)} through the writer, JSON + "
            "fingerprint hash + 16 index entries, messages sent; INFO used_memory delta / "
            "records)",
            f"{per_record:.0f} bytes; used_memory {(empty + per_record * size) / 2**20:.0f} MiB "
            f"full, {after / 2**20:.0f} MiB after trimming {removed} (the allocator keeps some)",
        ),
        Result(
            f"history trim, {label(size)} stored (one a minute, the oldest ~{min(DUE, size // 2)}"
            f" due, every tenth firing, every {UNDELIVERED}th owing a message): the last "
            f"{done.removed} removals, batches of {trim.BATCH} working {trim.SHARE:.0%} of the "
            "time; checked after: exactly the due ones gone, with their hashes and index entries",
            f"{took:.1f} s = {done.removed / took:.0f} records/s "
            f"({done.removed / took * 3600 / 1e6:.2f}M an hour), "
            f"{took / max(1, done.batches) * 1000:.1f} ms per batch with its pause, of which "
            f"Redis ran the script {script['usec_per_call'] / 1000:.2f} ms; "
            f"{in_rounds} removed during the rounds before; {old_kept} older than the cutoff "
            "kept (firing, owing a message, or ended after it)",
        ),
    ]
    for name in FILTERS:
        p95 = {variant: [percentile(r, 95) for r in samples[name, variant]] for variant in VARIANTS}
        every = {v: list(chain(*samples[name, v])) for v in ("idle", "trimming")}
        results.append(
            compared(
                f"alert history list (page of 20), {name}, {label(size)} stored: p95 while "
                "`python -m alertstore.trim` runs / p95 while not, per round",
                p95["trimming"],
                p95["idle"],
                sign="≤",
                bound=TARGET_RATIO,
                unit="ms p95",
                aa=ratios(p95["idle again"], p95["idle"]),
                note=f"p50 idle {percentile(every['idle'], 50):.2f} ms, trimming "
                f"{percentile(every['trimming'], 50):.2f} ms",
            )
        )
    return results


if __name__ == "__main__":
    sys.exit(cli.main("trim", run, __doc__.split("\n")[0], add_arguments))
