"""The history trim against a real Redis: a realistic history (incident_history) trimmed at a
cutoff inside it, checked against brute force — which records must go (read by SCAN, each
decided by its definition), every other key byte for byte unchanged, every index holding
exactly the records it must."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alertstore import layout, notifications, reader, trim, writer
from alertstore.records import AlertEvent, alert_id, epoch, isoformat
from testkit.polling import wait_until
from tests.alertstore.events import T0, event
from tests.alertstore.incident_history import SPAN, all_records, write_history

REPO = Path(__file__).resolve().parents[2]

DAYS = 1
NOW = T0 + timedelta(days=DAYS) + SPAN / 2  # the cutoff falls in the middle of the history
CUTOFF = T0 + SPAN / 2


def snapshot(store) -> dict:
    """Every key with its type and whole content."""
    read = {
        b"string": lambda k: store.get(k),
        b"zset": lambda k: store.zrange(k, 0, -1, withscores=True),
        b"list": lambda k: store.lrange(k, 0, -1),
        b"hash": lambda k: store.hgetall(k),
    }
    return {key: (kind, read[kind](key)) for key in store.keys("*") for kind in [store.type(key)]}


def outbox_ids(store) -> set[str]:
    entries = store.lrange(layout.OUTBOX_PENDING_KEY, 0, -1)
    entries += store.lrange(layout.OUTBOX_PROCESSING_KEY, 0, -1)
    return {layout.parse_outbox_entry(e)[0] for e in entries}


def history(store, seed: int, count: int) -> None:
    """incident_history's, with the outbox as the worker leaves it: the entries of final
    notifications dropped (write_history marks without acking)."""
    write_history(store, seed=seed, count=count)
    by_id = {r["id"]: r for r in all_records(store)}
    for entry in store.lrange(layout.OUTBOX_PENDING_KEY, 0, -1):
        record, n = layout.parse_outbox_entry(entry)
        if by_id[record]["notifications"][n]["state"] != "pending":
            store.lrem(layout.OUTBOX_PENDING_KEY, 1, entry)


def must_go(store) -> set[str]:
    """Brute force: resolved before the cutoff, nothing pending, no outbox entry."""
    queued = outbox_ids(store)
    return {
        r["id"]
        for r in all_records(store)
        if r["status"] == "resolved"
        and r["ends_at"] < isoformat(CUTOFF)
        and all(n["state"] != "pending" for n in r["notifications"])
        and r["id"] not in queued
    }


def after_trim(before: dict, gone: set[str]) -> dict:
    """`before` without the records in `gone`, their index entries, and the fingerprint
    hashes whose latest is one of them and resolved; nothing else."""
    members = {i.encode() for i in gone}
    expected = {}
    for key, (kind, value) in before.items():
        record = layout.text(key).startswith(layout.RECORD_KEY_PREFIX)
        if record and layout.alert_id_from_record_key(key) in gone:
            continue
        if kind == b"zset" and layout.text(key).startswith(layout.INDEX_KEY_PREFIX):
            value = [(m, s) for m, s in value if m not in members]
            if not value:
                continue
        if kind == b"hash" and value.get(b"latest") in members and b"resolved_at" in value:
            continue
        expected[key] = (kind, value)
    return expected


def assert_indexes_match_records(store) -> None:
    """Every index holds exactly the records of its values, scored by starts_at."""
    want: dict[str, dict[bytes, float]] = {}
    for r in all_records(store):
        score = epoch(datetime.fromisoformat(r["starts_at"]))
        for delivery in {None, r["delivery"]}:  # the 3-part ones, and its delivery's
            for status in (None, r["status"]):
                for key in layout.index_keys(r["severity"], r["alert_type"], status, delivery):
                    want.setdefault(key, {})[r["id"].encode()] = score
    got = {
        layout.text(key): dict(store.zrange(key, 0, -1, withscores=True))
        for key in store.scan_iter(match=f"{layout.INDEX_KEY_PREFIX}*")
    }
    assert got.keys() == want.keys()
    for key, scores in want.items():
        assert got[key].keys() == scores.keys(), key
        assert all(abs(got[key][m] - s) < 1e-3 for m, s in scores.items()), key


def test_trim_removes_exactly_the_old_resolved_records_and_nothing_else(store):
    history(store, seed=14, count=200)
    # an old resolved record whose messages are final but whose entry is still queued
    # (a worker that crashed after marking it): kept until the worker drops the entry
    queued = sorted(must_go(store))[0]
    store.rpush(layout.OUTBOX_PENDING_KEY, layout.outbox_entry(queued, 0))
    gone = must_go(store)
    assert queued not in gone and 20 < len(gone) < 150  # the cutoff splits the history
    before = snapshot(store)

    dry = trim.trim(store, days=DAYS, now=NOW, batch=7, dry_run=True)
    assert snapshot(store) == before
    done = trim.trim(store, days=DAYS, now=NOW, batch=7)

    assert done.removed == dry.removed == len(gone)
    assert done.fingerprints == dry.fingerprints
    expected = after_trim(before, gone)
    assert snapshot(store) == expected
    fingerprints = [k for k in before.keys() - expected.keys() if b":fingerprint:" in k]
    assert done.fingerprints == len(fingerprints)
    assert_indexes_match_records(store)
    left = {r["id"]: r for r in all_records(store)}
    assert all(
        r["status"] == "firing"
        or r["ends_at"] >= isoformat(CUTOFF)
        or any(n["state"] == "pending" for n in r["notifications"])
        or rid == queued
        for rid, r in left.items()
    )
    # every listing: none of them, and the same as the records left filtered by hand
    total, page = reader.list_alerts(store, limit=1000)
    assert total == len(left) and {r["id"] for r in page} == left.keys()
    for status in ("firing", "resolved"):
        total, page = reader.list_alerts(store, status=status, limit=1000)
        want = {rid for rid, r in left.items() if r["status"] == status}
        assert total == len(want) and {r["id"] for r in page} == want

    again = trim.trim(store, days=DAYS, now=NOW, batch=7)
    assert (again.removed, again.fingerprints) == (0, 0)
    assert snapshot(store) == expected


def test_a_trimmed_fingerprint_fires_again_as_new(store):
    def write(ev, now):
        return writer.record_transition(
            store, ev, now=now, cooldown_seconds=300, flap_window_seconds=3600
        )

    old = event(starts_at=T0)
    write(old, T0)
    write(event(status="resolved", starts_at=T0, ends_at=T0 + timedelta(minutes=5)), T0)
    store.delete(layout.OUTBOX_PENDING_KEY)  # both messages delivered: final
    for n in range(2):
        json_record = json.loads(store.get(layout.record_key(alert_id(old.fingerprint, T0))))
        json_record["notifications"][n]["state"] = "sent"
        store.set(layout.record_key(json_record["id"]), json.dumps(json_record))

    done = trim.trim(store, days=DAYS, now=T0 + timedelta(days=DAYS, hours=1))
    assert (done.removed, done.fingerprints) == (1, 1)
    assert not store.exists(layout.fingerprint_key(old.fingerprint))

    later = T0 + timedelta(days=DAYS, hours=2)
    outcome = write(event(starts_at=later), later)
    assert (outcome.transition, outcome.enqueued) == ("created", "firing")
    assert reader.get_alert(store, outcome.alert_id)["flaps"] == 0


def test_trim_keeps_firing_and_undelivered_records_whatever_their_age(store):
    def write(ev):
        return writer.record_transition(
            store, ev, now=T0, cooldown_seconds=300, flap_window_seconds=3600
        )

    firing = write(event(fingerprint="a", starts_at=T0 - timedelta(days=30)))
    owed = write(
        event(
            status="resolved",
            fingerprint="b",
            starts_at=T0 - timedelta(days=30),
            ends_at=T0 - timedelta(days=29),
        )
    )  # its RESOLVED message is still pending
    done = trim.trim(store, days=DAYS, now=T0)
    assert (done.removed, done.kept) == (0, 1)
    assert reader.get_alert(store, firing.alert_id) and reader.get_alert(store, owed.alert_id)


def test_trim_while_the_history_is_written(store):
    history(store, seed=15, count=300)
    gone = must_go(store)
    firing = [r for r in all_records(store) if r["status"] == "firing"]
    trimmed = []
    thread = threading.Thread(
        target=lambda: trimmed.append(trim.trim(store, days=DAYS, now=NOW, batch=3))
    )
    written = []

    def write(ev: AlertEvent):
        writer.record_transition(store, ev, now=NOW, cooldown_seconds=300, flap_window_seconds=3600)
        written.append(alert_id(ev.fingerprint, ev.starts_at))

    thread.start()
    for i, r in enumerate(firing):  # resolves land below the walk; new ones fire meanwhile
        write(
            AlertEvent(
                status="resolved",
                labels=r["labels"],
                starts_at=datetime.fromisoformat(r["starts_at"]),
                ends_at=NOW,
                fingerprint=r["fingerprint"],
            )
        )
        write(event(fingerprint=f"new{i}", starts_at=T0 + timedelta(minutes=i)))
    thread.join()

    left = {r["id"] for r in all_records(store)}
    assert trimmed[0].removed == len(gone) and not gone & left
    assert set(written) <= left
    assert_indexes_match_records(store)


@pytest.mark.parametrize("raw", ["", "0", "-3", "ninety", "1.5"])
def test_a_bad_retention_is_refused_naming_the_variable(raw):
    with pytest.raises(trim.RetentionError, match="ALERT_HISTORY_RETENTION_DAYS"):
        trim.retention_days({"ALERT_HISTORY_RETENTION_DAYS": raw})


def old_delivered_record(store) -> str:
    """A record resolved two days ago whose RESOLVED message was sent."""
    ended = datetime.now(UTC) - timedelta(days=2)
    done = writer.record_transition(
        store,
        event(status="resolved", starts_at=ended - timedelta(hours=1), ends_at=ended),
        now=ended,
        cooldown_seconds=300,
        flap_window_seconds=3600,
    )
    entry = store.lpop(layout.OUTBOX_PENDING_KEY)
    notifications.mark(store, done.alert_id, 0, "sent", 200, None, ended)
    assert layout.parse_outbox_entry(entry) == (done.alert_id, 0)
    return done.alert_id


def command(redis_url: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alertstore.trim", *args],
        cwd=REPO,
        env={**os.environ, "REDIS_URL": redis_url, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_counts_dry_then_removes(store, redis_server):
    old = old_delivered_record(store)

    dry = command(redis_server.url, "--dry-run", ALERT_HISTORY_RETENTION_DAYS="1")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("would remove 1 records") and store.exists(layout.record_key(old))

    done = command(redis_server.url, "--days", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("removed 1 records") and not store.exists(layout.record_key(old))


@pytest.mark.parametrize(
    ("args", "env"), [(("--days", "0"), {}), ((), {"ALERT_HISTORY_RETENTION_DAYS": "x"})]
)
def test_the_command_refuses_a_bad_retention_naming_it(redis_server, args, env):
    done = command(redis_server.url, *args, **env)
    assert done.returncode == 2 and "ALERT_HISTORY_RETENTION_DAYS" in done.stderr


def test_the_worker_thread_trims_until_stopped(store):
    old = old_delivered_record(store)
    stop = threading.Event()
    thread = threading.Thread(target=trim.run, args=(store, 1, stop))
    thread.start()
    try:
        wait_until(lambda: not store.exists(layout.record_key(old)), "the old record trimmed")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_an_entry_being_delivered_keeps_its_record(store):
    old = old_delivered_record(store)
    store.rpush(layout.OUTBOX_PROCESSING_KEY, layout.outbox_entry(old, 0))  # a worker's crash
    done = trim.trim(store, days=1)
    assert (done.removed, done.kept) == (0, 1) and store.exists(layout.record_key(old))


def test_a_long_outbox_defers_the_trim_until_it_drains(store):
    old = old_delivered_record(store)
    owed = [layout.outbox_entry(f"other{n}", 0) for n in range(4)]  # Slack away: a backlog
    store.rpush(layout.OUTBOX_PENDING_KEY, *owed)
    before = snapshot(store)

    done = trim.trim(store, days=1, outbox_limit=3)
    assert done.deferred and done.removed == 0
    assert snapshot(store) == before

    store.lpop(layout.OUTBOX_PENDING_KEY)  # delivered: 3 left
    done = trim.trim(store, days=1, outbox_limit=3)
    assert not done.deferred and done.removed == 1 and not store.exists(layout.record_key(old))


def test_the_pause_grows_with_the_time_a_batch_took():
    assert trim.pause_after(0.002, share=0.1) == pytest.approx(0.018)
    assert trim.pause_after(0.010, share=0.1) == pytest.approx(0.090)
    assert trim.pause_after(0.010, share=1) == 0


@pytest.mark.parametrize("share", [0, -0.1, 1.5])
def test_a_share_outside_0_to_1_is_refused(store, share):
    with pytest.raises(ValueError, match="share"):
        trim.trim(store, days=1, share=share)
