"""Bounded history: remove the records resolved longer ago than the retention.

`python -m alertstore.trim [--dry-run]`, and the delivery worker every TRIM_INTERVAL_SECONDS
(`run`). ALERT_HISTORY_RETENTION_DAYS (stack/settings/table.py) is the retention.

What goes: a record whose status is resolved and whose ``ends_at`` is before now minus the
retention, with every index entry (``layout.LUA_REINDEX`` names them from its status and
delivery). What stays, whatever its age: a firing record, a record with a notification
still pending, and one with an outbox entry (pending or processing) — the worker still owes
Slack a message for them.

Finding them reads no more than it removes: the ``status=resolved`` index, oldest
``starts_at`` first, in batches (``ends_at`` ≥ ``starts_at``, so starts_at before the
cutoff is a superset; each script checks the record's own ``ends_at``). Every Redis call is
short, so a listing never waits long behind one: a batch is a rank read of BATCH index
entries, an MGET of those records and one script over them (per record removed 16
ZREMs, O(log n) each, two DELs and an LPOS per notification on each outbox list). The
outbox lists are searched, never read whole; while they hold more than OUTBOX_LIMIT
entries (Slack away for long) even a search is long, so the script removes nothing and
the trim stops until its next run (``Trimmed.deferred``; the history grows past the
retention meanwhile, as it does while messages are owed). The pacing adapts to the load:
after each batch the trim pauses so that it works SHARE of its wall time (`pause_after`),
so where every call takes longer (a loaded machine, a busy Redis) it yields longer too.

The walk goes by rank: the records kept so far are the lowest ranks. A record entering the
index below the walk meanwhile (a resolve) makes the next batch look at a kept one again; one
leaving it (a reopen, another worker's trim) may make it skip one candidate, which the next
trim takes. The script decides each removal on the record as it is then, never on the walk.

Fingerprint hashes (``layout.fingerprint_key``): removed with their latest record when it
is resolved (``resolved_at`` set). The flap count stays right: a re-fire is a flap only
within FLAP_WINDOW_SECONDS of ``resolved_at``, and a trimmed record resolved more than the
retention ago (90 days against a 1 h window by default; keep the retention the longer), so
a fresh hash gives flaps 0, as the old one would have. The other fields only tell late
webhooks of older instances stale (``score``); Alertmanager forgets a resolved alert within
days (its ``--data.retention``, 120 h by default), so no webhook comes for an instance
resolved longer than the retention ago. A hash whose latest record is kept or fires
stays as it is.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis as redis_lib

from alertstore import layout, reader, records

log = logging.getLogger("alertstore.trim")

RETENTION_VARIABLE = "ALERT_HISTORY_RETENTION_DAYS"
# records per script: 80 ZREMs, 0.4-0.7 ms of Redis time on a loaded 2-core box
# (bench/trim.py), so a listing that arrives meanwhile waits little
BATCH = 5
# of its wall time the trim works (its calls, its own CPU); the rest it pauses. A batch's
# work took 2-4 ms on that box: 120-240 records/s, 0.4-0.9M an hour, so a day's expiries
# at 10,000 alerts a day take one to two minutes
SHARE = 0.1
# entries in the two outbox lists beyond which a trim waits (module docstring): an LPOS
# over 1000 entries takes ~12 us on a loaded box, and a removal makes up to 4
OUTBOX_LIMIT = 1000
TRIM_INTERVAL_SECONDS = 3600.0  # the worker's schedule; a trim is idempotent
RESOLVED_INDEX = layout.index_key(status="resolved")

# KEYS: outbox pending, outbox processing, then the records (n), their fingerprint hashes
# (n); their index keys the script names (layout's `reindex`). ARGV: cutoff (ISO), dry run
# ('1' or '0'), n, outbox limit, then the record ids. Returns {removed, kept, fingerprints
# removed, missing, deferred (1: the outbox is over the limit, nothing done)}.
_TRIM = (
    layout.LUA_REINDEX
    + """
local cutoff, dry, n, limit = ARGV[1], ARGV[2] == '1', tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2]) > limit then
  return {0, 0, 0, 0, 1}
end
local function queued(id, count)
  for k = 0, count - 1 do
    local entry = id .. ':' .. k
    if redis.call('LPOS', KEYS[1], entry) or redis.call('LPOS', KEYS[2], entry) then
      return true
    end
  end
  return false
end
local removed, kept, fingerprints, missing = 0, 0, 0, 0
for i = 1, n do
  local id = ARGV[4 + i]
  local raw = redis.call('GET', KEYS[2 + i])
  if not raw then
    missing = missing + 1
  else
    local rec = cjson.decode(raw)
    local keep = rec.status ~= 'resolved' or type(rec.ends_at) ~= 'string'
      or rec.ends_at >= cutoff
    for _, note in ipairs(rec.notifications) do
      if note.state == 'pending' then keep = true end
    end
    if not keep then keep = queued(id, #rec.notifications) end
    if keep then
      kept = kept + 1
    else
      removed = removed + 1
      local fp = KEYS[2 + n + i]
      local latest, resolved_at = unpack(redis.call('HMGET', fp, 'latest', 'resolved_at'))
      if latest == id and resolved_at then fingerprints = fingerprints + 1 end
      if not dry then
        reindex(rec, id, 0, rec.status, rec.delivery, nil, nil)
        redis.call('DEL', KEYS[2 + i])
        if latest == id and resolved_at then redis.call('DEL', fp) end
      end
    end
  end
end
return {removed, kept, fingerprints, missing, 0}
"""
)


class RetentionError(ValueError):
    """ALERT_HISTORY_RETENTION_DAYS is missing or not a whole number of days ≥ 1."""


def retention_days(env: Mapping[str, str] = os.environ) -> int:
    """The retention from the process' environment (its env file, rendered from the
    settings table, carries it); RetentionError naming the variable otherwise."""
    raw = env.get(RETENTION_VARIABLE, "").strip()
    if not raw:
        raise RetentionError(
            f"{RETENTION_VARIABLE} not set: it comes from the process' env file "
            "(worker.env, bridge.env or api.env, rendered by `python -m stack.render`)"
        )
    return check_retention(raw)


def check_retention(raw: str | int) -> int:
    try:
        days = int(raw)
    except ValueError:
        days = 0
    if days < 1:
        raise RetentionError(
            f"{RETENTION_VARIABLE} must be a whole number of days, at least 1, got {raw!r}"
        )
    return days


def cutoff(now: datetime, days: int) -> datetime:
    """Records resolved before this are trimmed."""
    return now - timedelta(days=days)


@dataclass(frozen=True)
class Trimmed:
    """What one trim did (or, dry, would do): records removed, candidates kept (resolved
    after the cutoff though started before it, or still owing a message), fingerprint
    hashes removed, batches (script calls); deferred: it stopped at an outbox over
    OUTBOX_LIMIT entries, the rest waits for a later trim."""

    removed: int = 0
    kept: int = 0
    fingerprints: int = 0
    batches: int = 0
    deferred: bool = False

    def __add__(self, other: Trimmed) -> Trimmed:
        return Trimmed(
            self.removed + other.removed,
            self.kept + other.kept,
            self.fingerprints + other.fingerprints,
            self.batches + other.batches,
            self.deferred or other.deferred,
        )


def pause_after(work: float, share: float = SHARE) -> float:
    """Seconds to pause after a batch that took `work` seconds, so that the trim works
    `share` of the time."""
    return work * (1 - share) / share


def _batch(
    redis: redis_lib.Redis, ids: list[str], before: str, dry_run: bool, outbox_limit: int
) -> Trimmed:
    """One script over these candidate ids (those gone meanwhile count as kept)."""
    raws = redis.mget([layout.record_key(i) for i in ids])
    found = [(i, json.loads(raw)) for i, raw in zip(ids, raws, strict=True) if raw]
    keys = [
        layout.OUTBOX_PENDING_KEY,
        layout.OUTBOX_PROCESSING_KEY,
        *(layout.record_key(i) for i, _ in found),
        *(layout.fingerprint_key(r["fingerprint"]) for _, r in found),
    ]
    removed, kept, fingerprints, missing, deferred = redis.register_script(_TRIM)(
        keys=keys,
        args=[before, "1" if dry_run else "0", len(found), outbox_limit, *(i for i, _ in found)],
    )
    if deferred:
        return Trimmed(batches=1, deferred=True)
    # gone meanwhile (another trim): its index entries went with it
    return Trimmed(removed, kept + missing + len(ids) - len(found), fingerprints, 1)


def trim(
    redis: redis_lib.Redis,
    *,
    days: int,
    now: datetime | None = None,
    batch: int = BATCH,
    dry_run: bool = False,
    share: float = SHARE,
    outbox_limit: int = OUTBOX_LIMIT,
    stop: threading.Event | None = None,
) -> Trimmed:
    """Remove (dry_run: count) the records resolved before now - `days` days (module
    docstring), `batch` at a time, oldest starts_at first, working `share` of the time;
    stops early when `stop` is set, or deferred when the outbox holds more than
    `outbox_limit` entries."""
    check_retention(days)
    if batch < 1:
        raise ValueError("batch must be at least 1")
    if not 0 < share <= 1:
        raise ValueError("share must be in (0, 1]")
    limit = cutoff(now or datetime.now(UTC), days)
    before, before_epoch = records.isoformat(limit), records.epoch(limit)
    total, rank = Trimmed(), 0
    stop = stop or threading.Event()
    while not stop.is_set():
        started = time.perf_counter()
        window = redis.zrange(RESOLVED_INDEX, rank, rank + batch - 1, withscores=True)
        ids = [layout.text(member) for member, score in window if score < before_epoch]
        if not ids:
            break
        done = _batch(redis, ids, before, dry_run, outbox_limit)
        total += done
        if done.deferred:
            break
        # what stays is below the next batch; dry, everything stays
        rank += len(ids) if dry_run else done.kept
        if len(ids) < len(window) or len(window) < batch:
            break  # reached the cutoff, or the end of the index
        stop.wait(pause_after(time.perf_counter() - started, share))
    return total


def run(redis: redis_lib.Redis, days: int, stop: threading.Event) -> None:
    """The delivery worker's trim thread: a trim now, then every TRIM_INTERVAL_SECONDS, until
    `stop`; Redis errors are logged and the next round tries again."""
    while not stop.is_set():
        try:
            reader.check_schema(redis)  # another layout: its writer's business, not ours
            done = trim(redis, days=days, stop=stop)
            if done.deferred:
                log.warning(
                    "history trim deferred: the Slack outbox holds over %d entries; "
                    "next try in %gs",
                    OUTBOX_LIMIT,
                    TRIM_INTERVAL_SECONDS,
                )
            if done.removed:
                log.info(
                    "trimmed %d alert records resolved over %d days ago and %d fingerprint "
                    "hashes (%d candidates kept: ended later, or a message still owed)",
                    done.removed,
                    days,
                    done.fingerprints,
                    done.kept,
                )
        except (layout.SchemaMismatch, redis_lib.RedisError) as exc:
            log.warning("history trim failed, next try in %gs: %s", TRIM_INTERVAL_SECONDS, exc)
        stop.wait(TRIM_INTERVAL_SECONDS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m alertstore.trim",
        description="Remove alert records resolved longer ago than the retention, with "
        "their index entries.",
    )
    # no defaults of its own: the stack's env files carry both (stack/settings/table.py)
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL"),
        required=not os.environ.get("REDIS_URL"),
        help="the alert store (default: $REDIS_URL, as in the worker's env file)",
    )
    parser.add_argument("--days", help=f"the retention (default: ${RETENTION_VARIABLE})")
    parser.add_argument("--dry-run", action="store_true", help="count only, remove nothing")
    args = parser.parse_args(argv)
    try:
        days = retention_days() if args.days is None else check_retention(args.days)
    except RetentionError as exc:
        parser.error(str(exc))
    now = datetime.now(UTC)
    store = redis_lib.Redis.from_url(args.redis_url)
    try:
        reader.check_schema(store)
        done = trim(store, days=days, now=now, dry_run=args.dry_run)
    except (layout.SchemaMismatch, redis_lib.RedisError) as exc:
        print(f"alert history trim failed: {exc}", file=sys.stderr)
        return 1
    print(
        f"{'would remove' if args.dry_run else 'removed'} {done.removed} records resolved "
        f"before {records.isoformat(cutoff(now, days))} and {done.fingerprints} fingerprint "
        f"hashes; kept {done.kept} candidates (ended later, or a message still owed; "
        f"{done.batches} batches)"
        + (
            f"; stopped early: the Slack outbox holds over {OUTBOX_LIMIT} entries, the rest "
            "waits for a later trim"
            if done.deferred
            else ""
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
