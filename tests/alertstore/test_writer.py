"""alertstore.writer against a real Redis: the storage side of each transition (record,
indexes, outbox, fingerprint state), atomically. The rules themselves, row by row, are in
test_lifecycle.py."""

import pytest

from alertstore import layout, reader, writer
from alertstore.records import alert_id
from tests.alertstore.events import COOLDOWN, T0, event, minutes, pending, record


def test_new_firing_stores_record_indexes_and_one_firing_message(store):
    outcome = record(store)

    aid = alert_id("fp-error", T0)
    assert outcome == writer.Outcome(aid, "created", "firing")
    stored = reader.get_alert(store, aid)
    assert stored["status"] == "firing"
    assert stored["notifications"] == [
        {
            "kind": "firing",
            "state": "pending",
            "attempts": 0,
            "last_http_status": None,
            "last_error": None,
            "enqueued_at": "2025-10-15T12:00:00.000Z",
            "sent_at": None,
            "ledger": [],
        }
    ]
    assert (stored["delivery"], stored["time_to_page_seconds"]) == ("pending", None)
    assert pending(store) == [layout.outbox_entry(aid, 0)]
    for status in (None, "firing"):
        for delivery in (None, "pending"):
            for key in layout.index_keys("ERROR", "high_error_rate", status, delivery):
                assert store.zscore(key, aid) == T0.timestamp(), key
    for key in layout.index_keys("ERROR", "high_error_rate", "resolved"):
        assert not store.exists(key), key
    for delivery in ("failed", "sent"):
        for key in layout.index_keys("ERROR", "high_error_rate", None, delivery):
            assert not store.exists(key), key
    assert store.hgetall(layout.fingerprint_key("fp-error")) == {
        b"latest": aid.encode(),
        b"score": repr(T0.timestamp()).encode(),
        b"flaps": b"0",
    }
    assert store.get(layout.SCHEMA_KEY) == layout.SCHEMA_VERSION.encode()


def test_the_same_firing_again_is_a_duplicate(store):
    record(store)
    again = record(store, at=T0 + minutes(4))

    assert again.transition == "duplicate" and again.enqueued is None
    assert len(pending(store)) == 1
    assert reader.get_alert(store, again.alert_id)["updated_at"] == "2025-10-15T12:00:00.000Z"


def test_ha_duplicates_in_one_batch_store_one_record(store):
    outcomes = writer.record_transitions(
        store, [event(), event()], now=T0, cooldown_seconds=COOLDOWN, flap_window_seconds=3600
    )

    assert [o.transition for o in outcomes] == ["created", "duplicate"]
    assert len(pending(store)) == 1
    assert store.zcard(layout.INDEX_KEY) == 1


def test_a_repeat_after_nine_tenths_of_the_cooldown_is_a_reminder(store):
    record(store)
    early = record(store, at=T0 + minutes(4.49))
    reminder = record(store, at=T0 + minutes(4.5))
    too_soon = record(store, at=T0 + minutes(8))
    second = record(store, at=T0 + minutes(9))

    assert early.transition == "duplicate"
    assert reminder == writer.Outcome(reminder.alert_id, "updated", "reminder")
    assert too_soon.transition == "duplicate"
    assert second.enqueued == "reminder"
    stored = reader.get_alert(store, reminder.alert_id)
    assert stored["reminders"] == 2
    assert [n["kind"] for n in stored["notifications"]] == ["firing", "reminder", "reminder"]
    assert pending(store) == [layout.outbox_entry(reminder.alert_id, n) for n in range(3)]
    assert stored["updated_at"] == "2025-10-15T12:09:00.000Z"


def test_resolved_moves_the_record_and_queues_one_resolved_message(store):
    record(store)
    resolved = record(
        store, event(status="resolved", ends_at=T0 + minutes(10)), at=T0 + minutes(11)
    )

    assert resolved.transition == "updated" and resolved.enqueued == "resolved"
    stored = reader.get_alert(store, resolved.alert_id)
    assert stored["status"] == "resolved"
    assert stored["ends_at"] == "2025-10-15T12:10:00.000Z"
    assert [n["kind"] for n in stored["notifications"]] == ["firing", "resolved"]
    for key in layout.index_keys("ERROR", "high_error_rate", "firing"):
        assert store.zscore(key, resolved.alert_id) is None, key
    for status in (None, "resolved"):
        for key in layout.index_keys("ERROR", "high_error_rate", status):
            assert store.zscore(key, resolved.alert_id) == T0.timestamp(), key
    assert len(pending(store)) == 2


def test_resolved_for_an_unknown_alert_creates_it_resolved(store):
    outcome = record(store, event(status="resolved", ends_at=T0 + minutes(3)), at=T0 + minutes(4))

    assert outcome.transition == "created" and outcome.enqueued == "resolved"
    stored = reader.get_alert(store, outcome.alert_id)
    assert stored["status"] == "resolved"
    assert stored["ends_at"] == "2025-10-15T12:03:00.000Z"
    assert store.zscore(layout.index_key(status="resolved"), outcome.alert_id) is not None
    assert store.zscore(layout.index_key(status="firing"), outcome.alert_id) is None


def test_other_fingerprints_are_independent(store):
    record(store)
    other = record(store, event(fingerprint="fp-latency", alertname="HighLatency"))

    assert other.enqueued == "firing" and other.superseded is None
    assert reader.get_alert(store, alert_id("fp-error", T0))["status"] == "firing"


def test_measured_values_survive_updates_exactly(store):
    ev = event(value="5.263157894736842")
    record(store, ev)
    record(store, ev, at=T0 + minutes(5))  # reminder: the script re-encodes the record

    assert reader.get_alert(store, alert_id("fp-error", T0))["metric_value"] == 5.263157894736842


def test_a_foreign_schema_version_refuses_the_write(store):
    store.set(layout.SCHEMA_KEY, "0")

    with pytest.raises(
        layout.SchemaMismatch, match=r"^alert store schema is 0, this writer writes 4$"
    ):
        record(store)
    assert store.keys("*") == [layout.SCHEMA_KEY.encode()]


def test_cooldown_must_be_positive(store):
    with pytest.raises(ValueError, match="cooldown"):
        record(store, cooldown=0)


def test_a_held_reopen_changes_nothing_until_it_is_stored_again(store):
    aid = record(store).alert_id
    record(store, event(status="resolved", ends_at=T0 + minutes(5)), at=T0 + minutes(5))
    before = (reader.get_alert(store, aid), pending(store))

    def refire(hold_reopens):
        (outcome,) = writer.record_transitions(
            store, [event()], now=T0 + minutes(6), cooldown_seconds=COOLDOWN,
            flap_window_seconds=3600, hold_reopens=hold_reopens,
        )  # fmt: skip
        return outcome

    assert refire(True) == writer.Outcome(aid, "held", None)
    assert (reader.get_alert(store, aid), pending(store)) == before
    assert refire(False) == writer.Outcome(aid, "updated", "firing")
    assert reader.get_alert(store, aid)["status"] == "firing"
