"""alertstore.lifecycle's table, row by row, against the real store (writer's Lua script).

Each row of lifecycle.RULES is set up in a real Redis (the record in the row's state, with
its condition true), then the row's event is applied through the writer; the record, the
Slack outbox and the outcome must be what the row says. The fingerprint rules (a newer
instance resolves the older, flaps) follow.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from alertstore import layout, lifecycle, reader, records, writer
from tests.alertstore.events import T0, event, minutes

COOLDOWN = 300  # reminders after 0.9 * COOLDOWN = 4.5 minutes
WINDOW = 3600
A = records.alert_id("fp-error", T0)  # the instance every row is about


def webhook(store, ev, at):
    return writer.record_transition(
        store, ev, now=at, cooldown_seconds=COOLDOWN, flap_window_seconds=WINDOW
    )


def fire(store, at=T0, starts_at=T0):
    return webhook(store, event(starts_at=starts_at), at)


def resolve(store, at=None, starts_at=T0):
    at = at or T0 + minutes(10)
    return webhook(store, event(status="resolved", starts_at=starts_at, ends_at=at), at)


def newer_instance(store):
    fire(store, at=T0 + minutes(20), starts_at=T0 + minutes(20))


def legacy_unannounced(store):
    """A firing record the old cooldown rule held back: no message ever queued for it."""
    fire(store)
    stored = reader.get_alert(store, A)
    stored["notifications"] = [{**stored["notifications"][0], "state": "skipped"}]
    stored["notifications"][0]["enqueued_at"] = None
    stored["suppressed_by"] = "cooldown"
    store.set(layout.record_key(A), records.encode(stored))
    store.delete(layout.OUTBOX_PENDING_KEY)


def fired_then_resolved(store):
    fire(store)
    resolve(store)


def silenced(store):
    fire(store)
    writer.mark_suppressed(store, A, "silenced", now=T0 + minutes(1))


LATER = T0 + minutes(30)

# (state, event, when) → (setup, act): the setup makes the row's state and condition true
SCENARIOS: dict[tuple, tuple[Callable, Callable]] = {
    ("absent", "firing", "current"): (lambda s: None, lambda s: fire(s)),
    ("absent", "firing", "stale"): (newer_instance, lambda s: fire(s, at=LATER)),
    ("absent", "resolved", None): (lambda s: None, lambda s: resolve(s)),
    ("firing", "firing", "not_due"): (fire, lambda s: fire(s, at=T0 + minutes(4.49))),
    ("firing", "firing", "due"): (fire, lambda s: fire(s, at=T0 + minutes(4.5))),
    ("firing", "resolved", "announced"): (fire, lambda s: resolve(s)),
    ("firing", "resolved", "unannounced"): (legacy_unannounced, lambda s: resolve(s)),
    ("resolved", "resolved", None): (fired_then_resolved, lambda s: resolve(s, at=LATER)),
    ("resolved", "firing", "current"): (fired_then_resolved, lambda s: fire(s, at=LATER)),
    ("resolved", "firing", "stale"): (
        lambda s: (fired_then_resolved(s), newer_instance(s)),
        lambda s: fire(s, at=LATER),
    ),
    ("absent", "gone", None): (lambda s: None, lambda s: writer.resolve_inferred(s, A, now=LATER)),
    ("firing", "gone", "announced"): (fire, lambda s: writer.resolve_inferred(s, A, now=LATER)),
    ("firing", "gone", "unannounced"): (
        legacy_unannounced,
        lambda s: writer.resolve_inferred(s, A, now=LATER),
    ),
    ("resolved", "gone", None): (
        fired_then_resolved,
        lambda s: writer.resolve_inferred(s, A, now=LATER),
    ),
    ("absent", "muted", None): (
        lambda s: None,
        lambda s: writer.mark_suppressed(s, A, "silenced", now=LATER),
    ),
    ("firing", "muted", "changed"): (
        fire,
        lambda s: writer.mark_suppressed(s, A, "inhibited", now=LATER),
    ),
    ("firing", "muted", "unchanged"): (
        silenced,
        lambda s: writer.mark_suppressed(s, A, "silenced", now=LATER),
    ),
    ("resolved", "muted", None): (
        fired_then_resolved,
        lambda s: writer.mark_suppressed(s, A, "silenced", now=LATER),
    ),
}

TRANSITION = {"ignore": "duplicate", "create": "created"}


def outbox(store) -> list[str]:
    return [layout.text(e) for e in store.lrange(layout.OUTBOX_PENDING_KEY, 0, -1)]


def test_the_table_covers_every_state_and_event_once():
    lifecycle.check_complete()
    assert set(SCENARIOS) == {(r.state, r.event, r.when) for r in lifecycle.RULES}


@pytest.mark.parametrize(
    "rule", lifecycle.RULES, ids=lambda r: f"{r.state}-{r.event}-{r.when or 'any'}"
)
def test_each_row_does_what_the_table_says(store, rule):
    setup, act = SCENARIOS[rule.state, rule.event, rule.when]
    setup(store)
    before = reader.get_alert(store, A)
    queued = outbox(store)
    assert (before["status"] if before else "absent") == rule.state, "setup"

    outcome = act(store)

    after = reader.get_alert(store, A)
    assert outcome.transition == TRANSITION.get(rule.effect, "updated")
    assert outcome.enqueued == rule.message
    assert (after["status"] if after else "absent") == rule.status
    if rule.effect == "ignore":
        assert after == before and outbox(store) == queued
        return
    notified = after["notifications"][len(before["notifications"]) if before else 0 :]
    if rule.notify is None:
        assert notified == []
    else:
        [notification] = notified
        assert notification["kind"] == rule.notify
        assert notification["state"] == ("pending" if rule.send else "skipped")
    index = len(after["notifications"]) - 1
    assert outbox(store) == queued + ([layout.outbox_entry(A, index)] if rule.send else [])
    assert after["resolution"] == rule.resolution
    in_firing = store.zscore(layout.index_key(status="firing"), A) is not None
    assert in_firing == (rule.status == "firing")
    assert store.zscore(layout.INDEX_KEY, A) == T0.timestamp()  # the exact score is kept


def test_a_refire_after_a_resolved_message_pages_again_within_the_cooldown(store):
    """Issue 11 item 4: FIRING, RESOLVED, fires again a minute later → FIRING, not held."""
    fire(store)
    resolve(store, at=T0 + minutes(1))

    again = fire(store, at=T0 + minutes(2), starts_at=T0 + minutes(2))

    assert again.enqueued == "firing"
    stored = reader.get_alert(store, again.alert_id)
    assert stored["suppressed_by"] is None
    assert stored["flaps"] == 1
    kinds = [reader.get_alert(store, layout.parse_outbox_entry(e)[0]) for e in outbox(store)]
    assert [r["status"] for r in kinds][-1] == "firing"  # Slack's last word: firing


def test_flaps_count_refires_within_the_window_and_start_over_after_it(store):
    starts = [T0 + minutes(m) for m in (0, 10, 20, 200)]
    flaps = []
    for start in starts:
        created = fire(store, at=start, starts_at=start)
        resolve(store, at=start + minutes(5), starts_at=start)
        flaps.append(reader.get_alert(store, created.alert_id)["flaps"])

    # 10 and 20 re-fired 5 minutes after a resolve; 200 came 175 minutes after one
    assert flaps == [0, 1, 2, 0]


def test_a_reopen_is_not_a_flap(store):
    fire(store)
    resolve(store, at=T0 + minutes(1))
    webhook(store, event(), T0 + minutes(2))  # the same startsAt: reopened

    stored = reader.get_alert(store, A)
    assert stored["status"] == "firing" and stored["flaps"] == 0
    assert [n["kind"] for n in stored["notifications"]] == ["firing", "resolved", "firing"]
    assert stored["ends_at"] is None and stored["resolution"] is None


def test_a_newer_instance_resolves_the_older_by_inference(store):
    """Issue 11 item 6: a resolve and re-fire merged in one group interval."""
    fire(store)

    newer = fire(store, at=T0 + minutes(3), starts_at=T0 + minutes(3))

    assert newer.enqueued == "firing" and newer.superseded == A
    older = reader.get_alert(store, A)
    assert older["status"] == "resolved" and older["resolution"] == "inferred"
    assert older["ends_at"] == records.isoformat(T0 + minutes(3))
    assert [n["kind"] for n in older["notifications"]] == ["firing", "resolved"]
    assert reader.get_alert(store, newer.alert_id)["flaps"] == 1
    assert [layout.parse_outbox_entry(e) for e in outbox(store)] == [
        (A, 0),
        (A, 1),  # the older's inferred resolve goes out before the newer's firing
        (newer.alert_id, 0),
    ]
    assert [r["id"] for r in reader.firing_records(store)] == [newer.alert_id]


def test_a_late_webhook_for_an_older_instance_changes_nothing_newer(store):
    fire(store)
    newer = fire(store, at=T0 + minutes(3), starts_at=T0 + minutes(3))

    assert fire(store, at=T0 + minutes(4)).transition == "duplicate"
    assert reader.get_alert(store, newer.alert_id)["status"] == "firing"
    assert reader.get_alert(store, A)["status"] == "resolved"


def test_a_batch_with_both_instances_stores_both_in_order(store):
    outcomes = writer.record_transitions(
        store,
        [event(), event(starts_at=T0 + minutes(1))],
        now=T0 + minutes(1),
        cooldown_seconds=COOLDOWN,
        flap_window_seconds=WINDOW,
    )

    assert [(o.transition, o.enqueued, o.superseded) for o in outcomes] == [
        ("created", "firing", None),
        ("created", "firing", A),
    ]


def test_unmuting_clears_suppressed_by(store):
    silenced(store)

    outcome = writer.mark_suppressed(store, A, None, now=LATER)

    assert outcome.transition == "updated" and outcome.enqueued is None
    assert reader.get_alert(store, A)["suppressed_by"] is None


def test_mute_reasons_are_checked(store):
    with pytest.raises(ValueError, match="silenced, inhibited"):
        writer.mark_suppressed(store, A, "cooldown", now=T0)


def test_records_written_before_the_new_fields_read_with_their_defaults(store):
    fired_then_resolved(store)
    raw = records.decode(store.get(layout.record_key(A)))
    old = {k: v for k, v in raw.items() if k not in ("flaps", "resolution")}
    store.set(layout.record_key(A), records.encode(old))

    stored = reader.get_alert(store, A)

    assert (stored["flaps"], stored["resolution"]) == (0, "alertmanager")


def test_a_group_with_the_older_resolve_after_the_newer_firing_keeps_alertmanagers_word(store):
    fire(store)
    resolved_older = event(status="resolved", ends_at=T0 + minutes(2))

    newer, older = writer.record_transitions(
        store,
        [event(starts_at=T0 + minutes(3)), resolved_older],
        now=T0 + minutes(3),
        cooldown_seconds=COOLDOWN,
        flap_window_seconds=WINDOW,
    )

    assert (older.alert_id, older.enqueued) == (A, "resolved")
    assert newer.superseded is None and newer.enqueued == "firing"
    stored = reader.get_alert(store, A)
    assert (stored["resolution"], stored["ends_at"]) == ("alertmanager", "2025-10-15T12:02:00.000Z")
    assert reader.get_alert(store, newer.alert_id)["flaps"] == 1
