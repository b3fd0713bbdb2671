"""Upgrade an older alert store to the current schema in place: `python -m alertstore.migrate`.

1 → 2: schema 1 indexed each filter value on its own; this builds the combination indexes
from the records (fields) and schema 1's all-records index (exact scores: a record keeps
starts_at only to the millisecond), then deletes schema 1's indexes and stamps 2 in one
transaction. Until then the store stays a complete schema-1 store — the new reader and
writer refuse it (the bridge answers 503, so Alertmanager retries) — and a run that fails
or finds the store changed underneath it (a schema-1 bridge still writing) removes what it
built and can simply be run again. Redis needs room for both schemas' indexes meanwhile
(12 entries per record, ~1.5 KB).

2 → 3: writes schema 3's record fields (layout's schema history) into every record that
lacks them — defaults, and `duration_seconds` of a resolved record from its times — in
batches, each one transaction watching its records (a record written meanwhile is read
again), then stamps 3 in a transaction watching the schema and the all-records index. A
schema-2 bridge still writing makes the run stop with StoreChanged; what it filled in is
harmless to schema 2 (its reader ignores unknown fields, its scripts keep them), so the
store stays a valid schema-2 store and the run can be repeated. Indexes are not touched.

3 → 4: writes schema 4's fields into every record — an empty `ledger` per notification,
`time_to_page_seconds` from its firing notification's `sent_at`, `delivery` computed from
its notifications (always, whatever it says) — and adds it to the delivery indexes of
that state, batch by batch in transactions as above; leftovers of an interrupted run are
deleted first. Then it stamps 4 in a transaction watching the schema, the all-records and
status indexes and the outbox, which every schema-3 write that could change a record's
delivery state or status touches: StoreChanged then, and the store is still a valid
schema-3 store (the extra fields and indexes are ignored by schema 3; a run repairs them).
A store of schema 1 or 2 goes through every step after its own.

    python -m alertstore.migrate [--redis-url URL]   (default: $REDIS_URL)
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import redis as redis_lib

from alertstore import layout, records

BATCH = 1000
# Schema 1's writer changed these (and the records) on every transition.
_V1_WATCHED = (layout.SCHEMA_KEY, layout.V1_INDEX_KEY, *layout.V1_STATUS_INDEX_KEYS)


class StoreChanged(RuntimeError):
    """Something wrote to the store while it was being migrated."""


def _index_keys(redis: redis_lib.Redis) -> tuple[list[str], list[str]]:
    """(schema-1 index keys, combination index keys) present in the store."""
    old, new = [layout.V1_INDEX_KEY], []
    for key in redis.scan_iter(match=f"{layout.INDEX_KEY_PREFIX}*", count=BATCH):
        key = layout.text(key)
        try:
            layout.index_filters(key)
        except ValueError:
            old.append(key)
        else:
            new.append(key)
    return old, new


def _build(redis: redis_lib.Redis) -> int:
    """Add every record of schema 1's all-records index to its 8 combination indexes."""
    built = 0
    for start in range(0, redis.zcard(layout.V1_INDEX_KEY), BATCH):
        entries = redis.zrange(layout.V1_INDEX_KEY, start, start + BATCH - 1, withscores=True)
        raws = redis.mget([layout.record_key(layout.text(member)) for member, _ in entries])
        pipe = redis.pipeline(transaction=False)
        for (member, score), raw in zip(entries, raws, strict=True):
            if raw is None:  # an index entry without its record: schema 1 never listed it
                continue
            record = records.decode(raw)
            for status in (None, record["status"]):
                for key in layout.index_keys(record["severity"], record["alert_type"], status):
                    pipe.zadd(key, {member: score})
            built += 1
        pipe.execute()
    return built


def _v1_to_v2(redis: redis_lib.Redis) -> int:
    """Schema 1 → 2 (module docstring); how many records were indexed."""
    with redis.pipeline() as watching:
        watching.watch(*_V1_WATCHED)
        if layout.text(watching.get(layout.SCHEMA_KEY) or b"") != "1":
            raise StoreChanged("the alert store's schema changed while migrating; run again")
        old, leftovers = _index_keys(redis)
        if leftovers:  # from a run that died before cleaning up
            redis.delete(*leftovers)
        try:
            built = _build(redis)
            watching.multi()
            watching.delete(*old)
            watching.set(layout.SCHEMA_KEY, "2")
            watching.execute()
        except BaseException as exc:
            _, new = _index_keys(redis)
            if new:
                redis.delete(*new)
            if isinstance(exc, redis_lib.WatchError):
                raise StoreChanged(
                    "the alert store changed while migrating (is a schema-1 alert bridge "
                    "still writing?); nothing was changed, stop it and run again"
                ) from exc
            raise
    return built


def _dumps(stored: dict) -> str:
    return json.dumps(stored, separators=(",", ":"), ensure_ascii=False)


def upgraded_record(raw: str | bytes) -> str | None:
    """A stored record with schema 3's fields filled in; None when it has them all."""
    stored = json.loads(raw)
    missing = {k: v for k, v in records.defaults(stored).items() if k not in stored}
    if not missing:
        return None
    return _dumps({**stored, **missing})


def schema_4_record(raw: str | bytes) -> dict:
    """A stored record with schema 4's fields: a ledger per notification, the time to page
    when it has none, and `delivery` as its notifications say."""
    stored = json.loads(raw)
    notifications = stored["notifications"] = [
        records.notification_defaults(n) for n in (stored.get("notifications") or [])
    ]
    stored.setdefault("time_to_page_seconds", records.defaults(stored)["time_to_page_seconds"])
    stored["delivery"] = records.delivery_of(notifications)
    return stored


def _fill(redis: redis_lib.Redis, ids: list[str], upgrade, index=None) -> int:
    """Rewrite one batch of records in one transaction with `upgrade(raw)` (JSON, None =
    unchanged) and `index(pipe, id, raw)`'s index writes; a batch written meanwhile is
    read again (a few times, then StoreChanged)."""
    keys = [layout.record_key(alert_id) for alert_id in ids]
    for _ in range(_FILL_ATTEMPTS):
        with redis.pipeline() as pipe:
            try:
                pipe.watch(*keys)
                raws = zip(ids, keys, pipe.mget(keys), strict=True)
                stored = [(i, k, raw) for i, k, raw in raws if raw is not None]
                upgrades = {k: new for _, k, raw in stored if (new := upgrade(raw)) is not None}
                pipe.multi()
                for key, upgraded in upgrades.items():
                    pipe.set(key, upgraded)
                for alert_id, _, raw in stored if index else ():
                    index(pipe, alert_id, raw)
                pipe.execute()
                return len(upgrades)
            except redis_lib.WatchError:
                continue
    raise StoreChanged(_writing(layout.text(redis.get(layout.SCHEMA_KEY) or b"?")))


_FILL_ATTEMPTS = 5


def _stamp(watching, old: str, new: str) -> None:
    """Stamp schema `new` in the transaction that watched the store since the upgrade began:
    StoreChanged (the store still a valid `old` one) when a writer touched it meanwhile."""
    try:
        watching.multi()
        watching.set(layout.SCHEMA_KEY, new)
        watching.execute()
    except redis_lib.WatchError as exc:
        raise StoreChanged(_writing(old)) from exc


def _writing(version: str) -> str:
    return (
        f"the alert store changed while migrating (is a schema-{version} alert bridge still "
        f"writing?); the store is still a valid schema-{version} store: stop it and run again"
    )


def _v2_to_v3(redis: redis_lib.Redis) -> int:
    """Schema 2 → 3 (module docstring); how many records the store holds."""
    with redis.pipeline() as watching:
        # every new record enters the all-records index: one appearing means a writer
        watching.watch(layout.SCHEMA_KEY, layout.INDEX_KEY)
        if layout.text(watching.get(layout.SCHEMA_KEY) or b"") != "2":
            raise StoreChanged("the alert store's schema changed while migrating; run again")
        total = redis.zcard(layout.INDEX_KEY)
        for start in range(0, total, BATCH):
            ids = redis.zrange(layout.INDEX_KEY, start, start + BATCH - 1)
            _fill(redis, [layout.text(alert_id) for alert_id in ids], upgraded_record)
        _stamp(watching, "2", "3")
    return total


# What a schema-3 write that changes a record's status or delivery state touches: new
# records enter the all-records index, resolves and reopens move the status indexes, every
# message owed is pushed to pending, every final mark acks it from processing.
_V3_WATCHED = (
    layout.SCHEMA_KEY,
    layout.INDEX_KEY,
    *(layout.index_key(status=status) for status in records.STATUSES),
    layout.OUTBOX_PENDING_KEY,
    layout.OUTBOX_PROCESSING_KEY,
)


def _v3_to_v4(redis: redis_lib.Redis) -> int:
    """Schema 3 → 4 (module docstring); how many records the store holds."""
    with redis.pipeline() as watching:
        watching.watch(*_V3_WATCHED)
        if layout.text(watching.get(layout.SCHEMA_KEY) or b"") != "3":
            raise StoreChanged("the alert store's schema changed while migrating; run again")
        leftovers = [
            key
            for key in redis.scan_iter(match=f"{layout.INDEX_KEY_PREFIX}*", count=BATCH)
            if layout.index_filters(key)[3] is not None
        ]
        if leftovers:
            redis.delete(*leftovers)
        total = redis.zcard(layout.INDEX_KEY)
        for start in range(0, total, BATCH):
            entries = redis.zrange(layout.INDEX_KEY, start, start + BATCH - 1, withscores=True)
            scores = {layout.text(alert_id): score for alert_id, score in entries}

            def index(pipe, alert_id, raw, scores=scores):
                record = schema_4_record(raw)
                if record["delivery"] is None:
                    return  # in no delivery index
                for status in (None, record["status"]):
                    for key in layout.index_keys(
                        record["severity"], record["alert_type"], status, record["delivery"]
                    ):
                        pipe.zadd(key, {alert_id: scores[alert_id]})

            _fill(redis, list(scores), lambda raw: _dumps(schema_4_record(raw)), index)
        _stamp(watching, "3", "4")
    return total


def migrate(redis: redis_lib.Redis) -> int | None:
    """Upgrade the store; how many records it holds, None when there was nothing to do
    (already at SCHEMA_VERSION, or empty). SchemaMismatch for a version it cannot upgrade,
    StoreChanged when something wrote meanwhile (the store is still valid at the version
    it had, or at a later one it reached; run it again)."""
    stored = redis.get(layout.SCHEMA_KEY)
    version = None if stored is None else layout.text(stored)
    if version is None or version == layout.SCHEMA_VERSION:
        return None
    if version not in layout.MIGRATES_FROM:
        raise layout.SchemaMismatch(
            f"alert store schema is {version}: {layout.MIGRATE_COMMAND} upgrades "
            f"{', '.join(layout.MIGRATES_FROM)} to {layout.SCHEMA_VERSION}"
        )
    if version == "1":
        _v1_to_v2(redis)
    if version in ("1", "2"):
        _v2_to_v3(redis)
    return _v3_to_v4(redis)


def main() -> int:
    parser = argparse.ArgumentParser(
        prog=layout.MIGRATE_COMMAND, description=__doc__.split("\n")[0]
    )
    # no default of its own: the stack's env files carry REDIS_URL (stack/settings/table.py)
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL"),
        required=not os.environ.get("REDIS_URL"),
        help="the alert store (default: $REDIS_URL, as in the bridge's env file)",
    )
    args = parser.parse_args()
    try:
        built = migrate(redis_lib.Redis.from_url(args.redis_url))
    except (layout.SchemaMismatch, StoreChanged, redis_lib.RedisError) as exc:
        print(f"alert store migration failed: {exc}", file=sys.stderr)
        return 1
    if built is None:
        print(f"alert store needs no migration (schema {layout.SCHEMA_VERSION} or empty)")
    else:
        print(f"alert store upgraded to schema {layout.SCHEMA_VERSION}: {built} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
