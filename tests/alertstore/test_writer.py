"""alertstore.writer against a real Redis: the storage side of each transition (record,
indexes, outbox, fingerprint state), atomically. The rules themselves, row by row, are in
test_lifecycle.py."""

import pytest

from alertstore import layout, reader, writer
from alertstore.records import alert_id
from tests.alertstore.events import T0, event, minutes

COOLDOWN = 300  # seconds; reminders come after 0.9 * COOLDOWN = 4.5 minutes


def record(store, ev=None, *, at=T0, cooldown=COOLDOWN):
    return writer.record_transition(
        store, ev or event(), now=at, cooldown_seconds=cooldown, flap_window_seconds=3600
    )


def pending(store):
    return [layout.text(e) for e in store.lrange(layout.OUTBOX_PENDING_KEY, 0, -1)]


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
        }
    ]
    assert pending(store) == [layout.outbox_entry(aid, 0)]
    for status in (None, "firing"):
        for key in layout.index_keys("ERROR", "high_error_rate", status):
            assert store.zscore(key, aid) == T0.timestamp(), key
    for key in layout.index_keys("ERROR", "high_error_rate", "resolved"):
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
        layout.SchemaMismatch, match=r"^alert store schema is 0, this writer writes 3$"
    ):
        record(store)
    assert store.keys("*") == [layout.SCHEMA_KEY.encode()]


def test_cooldown_must_be_positive(store):
    with pytest.raises(ValueError, match="cooldown"):
        record(store, cooldown=0)


def test_mark_notification_records_attempts_and_acks_atomically(store):
    aid = record(store).alert_id
    entry = layout.outbox_entry(aid, 0)
    store.rpush(layout.OUTBOX_PROCESSING_KEY, entry)
    later = T0 + minutes(1)

    retry = writer.mark_notification(store, aid, 0, "pending", 503, "HTTP 503", later)
    sent = writer.mark_notification(store, aid, 0, "sent", 200, None, later, ack=entry)

    assert (retry, sent) == ("pending", "sent")
    stored = reader.get_alert(store, aid)
    assert stored["sent_to_slack"] is True
    assert stored["notifications"][0] == {
        "kind": "firing",
        "state": "sent",
        "attempts": 2,
        "last_http_status": 200,
        "last_error": None,
        "enqueued_at": "2025-10-15T12:00:00.000Z",
        "sent_at": "2025-10-15T12:01:00.000Z",
    }
    assert store.llen(layout.OUTBOX_PROCESSING_KEY) == 0


def test_a_final_state_is_never_overwritten(store):
    aid = record(store).alert_id
    writer.mark_notification(store, aid, 0, "sent", 200, None, T0)

    again = writer.mark_notification(store, aid, 0, "failed", 400, "HTTP 400", T0 + minutes(1))

    assert again == "sent"
    assert reader.get_alert(store, aid)["notifications"][0]["attempts"] == 1


def test_skipped_is_not_an_attempt_and_not_sent(store):
    aid = record(store).alert_id

    writer.mark_notification(store, aid, 0, "skipped", None, None, T0)

    stored = reader.get_alert(store, aid)
    assert stored["notifications"][0]["state"] == "skipped"
    assert stored["notifications"][0]["attempts"] == 0
    assert stored["sent_to_slack"] is False


def test_marking_a_missing_record_still_acks(store):
    store.rpush(layout.OUTBOX_PROCESSING_KEY, "gone:0")

    assert writer.mark_notification(store, "gone", 0, "sent", 200, None, T0, ack="gone:0") == (
        "missing"
    )
    assert store.llen(layout.OUTBOX_PROCESSING_KEY) == 0


def test_unknown_states_and_notifications_are_refused(store):
    aid = record(store).alert_id

    with pytest.raises(ValueError, match="unknown notification state"):
        writer.mark_notification(store, aid, 0, "delivered", None, None, T0)
    with pytest.raises(Exception, match="no notification 5"):
        writer.mark_notification(store, aid, 5, "sent", 200, None, T0)


# --- schema 3: what the bridge measured (bridge.prom) travels with the transition -------


def test_measured_facts_are_stored_with_the_transition_that_owes_their_message(store):
    from dataclasses import replace

    culprits = [{"route": "api/v1/tasks/", "value": 37.5}]
    firing = replace(event(), facts={"culprits": culprits, "culprits_note": None})
    aid = record(store, firing).alert_id
    # a repeat of the firing measures nothing new and changes nothing
    record(store, replace(event(), facts={"culprits": [], "culprits_note": "late"}))
    assert reader.get_alert(store, aid)["culprits"] == culprits

    exact = 0.1 + 0.2  # 0.30000000000000004: more digits than Redis' cjson prints
    facts = {"resolved_value": exact, "peak_value": 41.25, "resolved_note": None}
    ended = replace(event(status="resolved", ends_at=T0 + minutes(4.2)), facts=facts)
    record(store, ended, at=T0 + minutes(5))

    resolved = reader.get_alert(store, aid)
    assert resolved["culprits"] == culprits  # kept: where it broke when it fired
    assert (resolved["resolved_value"], resolved["peak_value"]) == (exact, 41.25)
    assert resolved["duration_seconds"] == pytest.approx(252.0)

    record(store, event(), at=T0 + minutes(6))  # reopened (lifecycle): that resolve was not
    reopened = reader.get_alert(store, aid)
    assert reopened["status"] == "firing"
    assert [reopened[n] for n in ("resolved_value", "peak_value", "duration_seconds")] == [
        None,
        None,
        None,
    ]


def test_an_inferred_resolve_gets_its_duration_and_empty_lists_stay_lists(store):
    aid = record(store).alert_id

    writer.resolve_inferred(store, aid, now=T0 + minutes(3))

    resolved = reader.get_alert(store, aid)
    assert resolved["duration_seconds"] == pytest.approx(180.0)
    assert resolved["culprits"] == [] and resolved["silence_ids"] == []  # cjson writes {}
