"""alertstore.migrate: a schema-1 store becomes a schema-4 one that lists like brute force,
a schema-2 store gets schema 3's record fields, a schema-3 store schema 4's fields and
delivery indexes; anything it cannot or need not migrate is left exactly as it was (or,
interrupted, as a valid store of the version it had)."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from alertstore import layout, migrate, notifications, reader, records, writer
from tests.alertstore.brute_force import (
    assert_lists_like_brute_force,
    event_resolved,
    random_history,
)
from tests.alertstore.events import T0, event, minutes

REPO = Path(__file__).resolve().parents[2]


def schema_1_notification(kind, state):
    """A notification as schema 1 to 3 stored it: no ledger."""
    return {
        "kind": kind,
        "state": state,
        "attempts": 0 if state in ("pending", "skipped") else 1,
        "last_http_status": None,
        "last_error": None,
        "enqueued_at": records.isoformat(T0),
        "sent_at": None,
    }


def store_as_schema_1(store, history):
    """What schema 1's writer left: records (with the notifications the history says), one
    index per filter value, version "1" — and one index entry whose record is gone."""
    now = T0 + timedelta(days=1)
    pipe = store.pipeline()
    for ev, expected in zip(history.created, history.records, strict=True):
        record = records.new_record(ev, now)
        record["status"] = expected.status
        kinds = [ev.status, "resolved"]
        record["notifications"] = [
            schema_1_notification(kind, state)
            for kind, state in zip(kinds, expected.notifications, strict=False)
        ]
        for name in ("time_to_page_seconds", "delivery"):
            del record[name]
        pipe.set(layout.record_key(expected.id), records.encode(record))
        for key in (
            "taskmgr:alerts:index",
            f"taskmgr:alerts:by:severity:{expected.severity}",
            f"taskmgr:alerts:by:alert_type:{expected.alert_type}",
            f"taskmgr:alerts:by:status:{expected.status}",
        ):
            pipe.zadd(key, {expected.id: expected.score})
    pipe.zadd("taskmgr:alerts:index", {"0" * 20: T0.timestamp()})
    pipe.set(layout.SCHEMA_KEY, "1")
    pipe.execute()


def snapshot(store):
    """Every key with its content."""
    read = {
        b"zset": lambda key: store.zrange(key, 0, -1, withscores=True),
        b"list": lambda key: store.lrange(key, 0, -1),
        b"string": store.get,
        b"hash": store.hgetall,
    }
    return {key: read[store.type(key)](key) for key in store.scan_iter()}


@pytest.fixture
def history(store):
    history = random_history(seed=3)
    store_as_schema_1(store, history)
    return history


def test_schema_1_is_refused_with_the_command_that_upgrades_it(store, history):
    before = snapshot(store)
    hint = r"schema is 1, this (reader reads|writer writes) 4; .*`python -m alertstore\.migrate`"

    with pytest.raises(layout.SchemaMismatch, match=hint):
        reader.check_schema(store)
    with pytest.raises(layout.SchemaMismatch, match=hint):
        writer.record_transition(
            store, event(), now=T0, cooldown_seconds=300, flap_window_seconds=3600
        )
    assert snapshot(store) == before


def test_migrates_schema_1_to_indexes_that_list_like_brute_force(store, history):
    stored_records = {k: v for k, v in snapshot(store).items() if k.startswith(b"taskmgr:alert:")}

    assert migrate.migrate(store) == len(history.expected)

    reader.check_schema(store)
    assert store.get(layout.SCHEMA_KEY) == b"4"
    assert_lists_like_brute_force(store, history)
    after = snapshot(store)
    upgraded = {k: v for k, v in after.items() if k.startswith(b"taskmgr:alert:")}
    assert upgraded.keys() == stored_records.keys()
    for key, raw in upgraded.items():  # the same record, now with every field written out
        assert set(json.loads(raw)) == set(records.FIELDS)
        assert records.decode(raw) == records.decode(stored_records[key])
    for key in after:  # schema 1's indexes are gone
        if key.startswith(b"taskmgr:alerts:by:"):
            layout.index_filters(key)
    assert b"taskmgr:alerts:index" not in after
    assert migrate.migrate(store) is None  # already done
    assert snapshot(store) == after


def test_a_migrated_store_takes_new_writes(store, history):
    migrate.migrate(store)
    ev, firing = next(
        (ev, e)
        for ev, e in zip(history.created, history.records, strict=True)
        if e.status == "firing"
    )
    later = T0 + timedelta(days=1)  # newer than the whole history

    writer.record_transitions(
        store,
        [event(fingerprint="new", starts_at=later), event_resolved(ev)],
        now=later,
        cooldown_seconds=300,
        flap_window_seconds=3600,
    )

    newest = reader.list_alerts(store, severity="ERROR", alert_type="high_error_rate", limit=1)
    assert newest[1][0]["id"] == records.alert_id("new", later)
    for status, holds in (("firing", False), ("resolved", True)):
        for key in layout.index_keys(firing.severity, firing.alert_type, status):
            assert (store.zscore(key, firing.id) is not None) == holds, key


def test_leftovers_of_an_interrupted_run_are_rebuilt(store, history):
    store.zadd(layout.index_key("INFO"), {"ghost": 1.0})

    migrate.migrate(store)

    assert store.zscore(layout.index_key("INFO"), "ghost") is None
    assert_lists_like_brute_force(store, history)


class WritingBridge(redis.Redis):
    """A real client; while the migration reads records, a schema-1 bridge stores one."""

    def mget(self, *args, **kwargs):
        self.zadd("taskmgr:alerts:index", {"late": T0.timestamp()})
        return super().mget(*args, **kwargs)


def test_a_write_during_the_migration_changes_nothing(redis_server, store, history):
    store.zadd("taskmgr:alerts:index", {"late": T0.timestamp()})
    before = snapshot(store)
    store.zrem("taskmgr:alerts:index", "late")

    with pytest.raises(migrate.StoreChanged, match="stop it and run again"):
        migrate.migrate(WritingBridge(port=redis_server.port))

    assert snapshot(store) == before


@pytest.mark.parametrize("version", ["4", None])
def test_nothing_to_do_leaves_the_store_alone(store, version):
    if version:
        writer.record_transition(
            store, event(), now=T0, cooldown_seconds=300, flap_window_seconds=3600
        )
    before = snapshot(store)

    assert migrate.migrate(store) is None
    assert snapshot(store) == before


def test_an_unknown_version_is_refused(store, history):
    store.set(layout.SCHEMA_KEY, "7")
    before = snapshot(store)

    with pytest.raises(layout.SchemaMismatch, match=r"schema is 7: .* upgrades 1, 2, 3 to 4$"):
        migrate.migrate(store)
    assert snapshot(store) == before


def run_command(*args, redis_url):
    return subprocess.run(
        [sys.executable, "-m", "alertstore.migrate", *args],
        cwd=REPO,
        env={**os.environ, "REDIS_URL": redis_url},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_upgrades_the_store_at_redis_url(redis_server, store, history):
    done = run_command(redis_url=redis_server.url)

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"alert store upgraded to schema 4: {len(history.expected)} records\n"
    reader.check_schema(store)


def test_the_command_says_why_it_fails(redis_server, store, history):
    store.set(layout.SCHEMA_KEY, "7")

    done = run_command("--redis-url", redis_server.url, redis_url="redis://127.0.0.1:1/0")

    assert done.returncode == 1
    assert done.stderr.startswith("alert store migration failed: alert store schema is 7")


# --- schema 2 → 3 ---------------------------------------------------------------------

SCHEMA_3_FIELDS = tuple(records.UNMEASURED)  # duration_seconds among them


def store_as_schema_2(store):
    """What a schema-2 bridge left: one firing and one resolved record (4m 30s), neither
    with schema 3's fields; their ids."""
    firing, ended = event(fingerprint="firing"), event(fingerprint="ended")
    writer.record_transitions(
        store,
        [firing, ended, event(status="resolved", fingerprint="ended", ends_at=T0 + minutes(4.5))],
        now=T0 + timedelta(minutes=5),
        cooldown_seconds=300,
        flap_window_seconds=3600,
    )
    ids = [records.alert_id(e.fingerprint, e.starts_at) for e in (firing, ended)]
    for alert_id in ids:
        stored = json.loads(store.get(layout.record_key(alert_id)))
        for name in SCHEMA_3_FIELDS:
            del stored[name]
        store.set(layout.record_key(alert_id), json.dumps(stored))
    store.set(layout.SCHEMA_KEY, "2")
    return ids


def test_schema_2_is_refused_until_upgraded_then_records_carry_schema_3_fields(store):
    firing_id, resolved_id = store_as_schema_2(store)
    with pytest.raises(layout.SchemaMismatch, match=r"schema is 2, this reader reads 4; "):
        reader.check_schema(store)
    with pytest.raises(layout.SchemaMismatch, match=r"schema is 2, this writer writes 4; "):
        writer.record_transition(
            store, event(), now=T0, cooldown_seconds=300, flap_window_seconds=3600
        )

    assert migrate.migrate(store) == 2

    reader.check_schema(store)
    for alert_id in (firing_id, resolved_id):
        assert set(json.loads(store.get(layout.record_key(alert_id)))) == set(records.FIELDS)
    firing, resolved = (reader.get_alert(store, i) for i in (firing_id, resolved_id))
    assert (firing["culprits"], firing["silence_ids"], firing["duration_seconds"]) == ([], [], None)
    assert resolved["duration_seconds"] == 270.0
    assert resolved["resolved_value"] is None and resolved["acknowledged_by"] is None


class WritingSchema2Bridge(redis.Redis):
    """A real client; while the migration stamps the version, a schema-2 bridge stores a
    new record (which enters the all-records index)."""

    def zcard(self, *args, **kwargs):
        self.zadd(layout.INDEX_KEY, {"late": T0.timestamp()})
        return super().zcard(*args, **kwargs)


def test_a_schema_2_write_during_the_upgrade_leaves_a_valid_schema_2_store(redis_server, store):
    store_as_schema_2(store)

    with pytest.raises(migrate.StoreChanged, match="still a valid schema-2 store"):
        migrate.migrate(WritingSchema2Bridge(port=redis_server.port))

    assert store.get(layout.SCHEMA_KEY) == b"2"
    store.zrem(layout.INDEX_KEY, "late")
    assert migrate.migrate(store) == 2  # run again: done
    reader.check_schema(store)


# --- schema 3 → 4 ---------------------------------------------------------------------

SCHEMA_4_FIELDS = ("time_to_page_seconds", "delivery")


def as_schema_3(store):
    """Strip what schema 4 added from every record and index; stamp 3."""
    for key in store.scan_iter(match=f"{layout.INDEX_KEY_PREFIX}*"):
        if layout.index_filters(key)[3] is not None:
            store.delete(key)
    for key in store.scan_iter(match=f"{layout.RECORD_KEY_PREFIX}*"):
        stored = json.loads(store.get(key))
        for name in SCHEMA_4_FIELDS:
            del stored[name]
        for n in stored["notifications"]:
            del n["ledger"]
        store.set(key, json.dumps(stored))
    store.set(layout.SCHEMA_KEY, "3")


@pytest.fixture
def schema_3(store):
    """A schema-3 store of a random history with delivery marks (as test_indexes stores
    it), and one record whose firing message Slack took 42 s after it started."""
    history = random_history(seed=4)
    for batch in (history.created, None, history.resolutions):
        if batch is None:
            for alert_id, state in history.marks:
                notifications.mark(store, alert_id, 0, state, None, None, T0 + timedelta(days=1))
            continue
        writer.record_transitions(
            store, batch, now=T0 + timedelta(days=1), cooldown_seconds=300, flap_window_seconds=3600
        )
    paged = writer.record_transition(
        store,
        event(fingerprint="paged", starts_at=T0 - timedelta(days=1)),
        now=T0,
        cooldown_seconds=300,
        flap_window_seconds=3600,
    ).alert_id
    notifications.mark(store, paged, 0, "sent", 200, None, T0 - timedelta(days=1, seconds=-42))
    want = {paged: reader.get_alert(store, paged)}
    as_schema_3(store)
    return history, paged, want[paged]


def test_schema_3_gets_ledgers_time_to_page_delivery_and_its_indexes(store, schema_3):
    history, paged, before = schema_3
    with pytest.raises(layout.SchemaMismatch, match=r"schema is 3, this reader reads 4; "):
        reader.check_schema(store)

    assert migrate.migrate(store) == len(history.records) + 1

    reader.check_schema(store)
    for key in store.scan_iter(match=f"{layout.RECORD_KEY_PREFIX}*"):
        stored = json.loads(store.get(key))
        assert set(stored) == set(records.FIELDS)
        assert all(n["ledger"] == [] for n in stored["notifications"])
    record = reader.get_alert(store, paged)
    assert (record["time_to_page_seconds"], record["delivery"]) == (42.0, "sent")
    assert record == {**before, "notifications": [{**before["notifications"][0], "ledger": []}]}
    history.records.append(
        type(history.records[0])(
            paged, "ERROR", "high_error_rate", "firing", (T0 - timedelta(days=1)).timestamp(),
            ("sent",),
        )
    )  # fmt: skip
    assert_lists_like_brute_force(store, history)


def test_leftover_delivery_indexes_of_an_interrupted_run_are_rebuilt(store, schema_3):
    history, _, _ = schema_3
    store.zadd(layout.index_key(delivery="failed"), {"ghost": 1.0})

    migrate.migrate(store)

    assert store.zscore(layout.index_key(delivery="failed"), "ghost") is None
    total, _ = reader.list_alerts(store, delivery="failed")
    assert total == sum(e.delivery == "failed" for e in history.records)


class AckingSchema3Worker(redis.Redis):
    """A real client; while the migration counts the records, a schema-3 delivery worker
    marks a message final and acks its entry."""

    def zcard(self, *args, **kwargs):
        self.lrem(layout.OUTBOX_PROCESSING_KEY, 1, "acked:0")
        return super().zcard(*args, **kwargs)


def test_a_schema_3_delivery_during_the_upgrade_leaves_a_valid_schema_3_store(
    redis_server, store, schema_3
):
    store.rpush(layout.OUTBOX_PROCESSING_KEY, "acked:0")

    with pytest.raises(migrate.StoreChanged, match="still a valid schema-3 store"):
        migrate.migrate(AckingSchema3Worker(port=redis_server.port))

    assert store.get(layout.SCHEMA_KEY) == b"3"
    assert migrate.migrate(store) is not None  # run again: done
    reader.check_schema(store)
