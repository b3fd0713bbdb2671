"""alertstore.notifications: delivery attempts marked on the record — ledger, delivery state
and its indexes, time to page — and acked atomically."""

from datetime import timedelta

import pytest

from alertstore import layout, notifications, reader, records
from tests.alertstore.events import T0, event, minutes, record


def in_delivery_indexes(store, aid) -> set[str]:
    """The delivery states whose 8 indexes hold the record (asserting it is in all 8)."""
    found = set()
    for delivery in records.DELIVERY_STATES:
        held = [
            store.zscore(key, aid) is not None
            for status in (None, reader.get_alert(store, aid)["status"])
            for key in layout.index_keys("ERROR", "high_error_rate", status, delivery)
        ]
        assert all(held) or not any(held), (delivery, held)
        if all(held):
            found.add(delivery)
    return found


def test_mark_records_attempts_and_acks_atomically(store):
    aid = record(store, event(starts_at=T0 - timedelta(seconds=30))).alert_id
    entry = layout.outbox_entry(aid, 0)
    store.rpush(layout.OUTBOX_PROCESSING_KEY, entry)
    later = T0 + minutes(1)

    retry = notifications.mark(
        store, aid, 0, "pending", 429, "HTTP 429", T0, retry_after_seconds=2.0
    )
    sent = notifications.mark(store, aid, 0, "sent", 200, None, later, ack=entry)

    assert retry == notifications.Marked("pending")
    assert sent == notifications.Marked("sent", time_to_page_seconds=90.0)
    stored = reader.get_alert(store, aid)
    assert stored["sent_to_slack"] is True
    assert (stored["delivery"], stored["time_to_page_seconds"]) == ("sent", 90.0)
    assert stored["notifications"][0] == {
        "kind": "firing",
        "state": "sent",
        "attempts": 2,
        "last_http_status": 200,
        "last_error": None,
        "enqueued_at": "2025-10-15T12:00:00.000Z",
        "sent_at": "2025-10-15T12:01:00.000Z",
        "ledger": [
            {
                "at": "2025-10-15T12:00:00.000Z",
                "http_status": 429,
                "retry_after_seconds": 2.0,
                "outcome": "retry",
                "error": "HTTP 429",
            },
            {
                "at": "2025-10-15T12:01:00.000Z",
                "http_status": 200,
                "retry_after_seconds": None,
                "outcome": "sent",
                "error": None,
            },
        ],
    }
    assert store.llen(layout.OUTBOX_PROCESSING_KEY) == 0
    assert in_delivery_indexes(store, aid) == {"sent"}


def test_the_ledger_keeps_the_newest_attempts_and_attempts_counts_all(store):
    aid = record(store).alert_id
    extra = 3
    for n in range(records.MAX_LEDGER + extra):
        notifications.mark(store, aid, 0, "pending", 500, f"try {n}", T0 + minutes(n))

    stored = reader.get_alert(store, aid)["notifications"][0]

    assert stored["attempts"] == records.MAX_LEDGER + extra
    assert [e["error"] for e in stored["ledger"]] == [
        f"try {n}" for n in range(extra, records.MAX_LEDGER + extra)
    ]
    assert reader.get_alert(store, aid)["delivery"] == "pending"


def test_a_failed_message_moves_the_record_to_failed_until_and_after_a_resolve(store):
    aid = record(store).alert_id
    no_answer = notifications.mark(store, aid, 0, "pending", None, "ConnectTimeout", T0)
    failed = notifications.mark(store, aid, 0, "failed", 404, "HTTP 404: no_service", T0)
    record(store, event(status="resolved", ends_at=T0 + minutes(5)), at=T0 + minutes(5))

    stored = reader.get_alert(store, aid)
    assert (no_answer.state, failed) == ("pending", notifications.Marked("failed"))
    assert [e["outcome"] for e in stored["notifications"][0]["ledger"]] == ["retry", "failed"]
    assert stored["notifications"][0]["ledger"][0]["http_status"] is None
    # failed outranks the resolve's pending message; the resolve moved it to :resolved
    assert (stored["delivery"], stored["status"], stored["time_to_page_seconds"]) == (
        "failed",
        "resolved",
        None,
    )
    assert in_delivery_indexes(store, aid) == {"failed"}
    assert not store.exists(layout.index_key(status="firing", delivery="failed"))


def test_a_resolve_after_the_page_is_pending_again_and_keeps_the_time_to_page(store):
    aid = record(store).alert_id
    notifications.mark(store, aid, 0, "sent", 200, None, T0 + timedelta(seconds=4))
    record(store, event(status="resolved", ends_at=T0 + minutes(5)), at=T0 + minutes(5))

    assert in_delivery_indexes(store, aid) == {"pending"}
    resolved = notifications.mark(store, aid, 1, "sent", 200, None, T0 + minutes(6))

    stored = reader.get_alert(store, aid)
    assert resolved == notifications.Marked("sent")  # only the firing message pages
    assert (stored["delivery"], stored["time_to_page_seconds"]) == ("sent", 4.0)
    assert in_delivery_indexes(store, aid) == {"sent"}


def test_a_final_state_is_never_overwritten(store):
    aid = record(store).alert_id
    notifications.mark(store, aid, 0, "sent", 200, None, T0)

    again = notifications.mark(store, aid, 0, "failed", 400, "HTTP 400", T0 + minutes(1))

    assert again == notifications.Marked("sent")
    stored = reader.get_alert(store, aid)
    assert stored["notifications"][0]["attempts"] == 1
    assert len(stored["notifications"][0]["ledger"]) == 1
    assert stored["delivery"] == "sent"


def test_skipped_is_not_an_attempt_and_not_sent(store):
    aid = record(store).alert_id

    notifications.mark(store, aid, 0, "skipped", None, None, T0)

    stored = reader.get_alert(store, aid)
    assert stored["notifications"][0]["state"] == "skipped"
    assert stored["notifications"][0]["attempts"] == 0
    assert stored["notifications"][0]["ledger"] == []
    assert stored["sent_to_slack"] is False
    assert stored["delivery"] is None  # nothing owed: in no delivery index
    assert in_delivery_indexes(store, aid) == set()


def test_marking_a_missing_record_still_acks(store):
    store.rpush(layout.OUTBOX_PROCESSING_KEY, "gone:0")

    assert notifications.mark(store, "gone", 0, "sent", 200, None, T0, ack="gone:0") == (
        notifications.Marked("missing")
    )
    assert store.llen(layout.OUTBOX_PROCESSING_KEY) == 0


def test_unknown_states_and_notifications_are_refused(store):
    aid = record(store).alert_id

    with pytest.raises(ValueError, match="unknown notification state"):
        notifications.mark(store, aid, 0, "delivered", None, None, T0)
    with pytest.raises(Exception, match="no notification 5"):
        notifications.mark(store, aid, 5, "sent", 200, None, T0)
