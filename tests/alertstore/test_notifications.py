"""alertstore.notifications: delivery attempts marked on the record, acked atomically."""

import pytest

from alertstore import layout, notifications, reader
from tests.alertstore.events import T0, minutes, record


def test_mark_records_attempts_and_acks_atomically(store):
    aid = record(store).alert_id
    entry = layout.outbox_entry(aid, 0)
    store.rpush(layout.OUTBOX_PROCESSING_KEY, entry)
    later = T0 + minutes(1)

    retry = notifications.mark(store, aid, 0, "pending", 503, "HTTP 503", later)
    sent = notifications.mark(store, aid, 0, "sent", 200, None, later, ack=entry)

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
    notifications.mark(store, aid, 0, "sent", 200, None, T0)

    again = notifications.mark(store, aid, 0, "failed", 400, "HTTP 400", T0 + minutes(1))

    assert again == "sent"
    assert reader.get_alert(store, aid)["notifications"][0]["attempts"] == 1


def test_skipped_is_not_an_attempt_and_not_sent(store):
    aid = record(store).alert_id

    notifications.mark(store, aid, 0, "skipped", None, None, T0)

    stored = reader.get_alert(store, aid)
    assert stored["notifications"][0]["state"] == "skipped"
    assert stored["notifications"][0]["attempts"] == 0
    assert stored["sent_to_slack"] is False


def test_marking_a_missing_record_still_acks(store):
    store.rpush(layout.OUTBOX_PROCESSING_KEY, "gone:0")

    assert notifications.mark(store, "gone", 0, "sent", 200, None, T0, ack="gone:0") == ("missing")
    assert store.llen(layout.OUTBOX_PROCESSING_KEY) == 0


def test_unknown_states_and_notifications_are_refused(store):
    aid = record(store).alert_id

    with pytest.raises(ValueError, match="unknown notification state"):
        notifications.mark(store, aid, 0, "delivered", None, None, T0)
    with pytest.raises(Exception, match="no notification 5"):
        notifications.mark(store, aid, 5, "sent", 200, None, T0)
