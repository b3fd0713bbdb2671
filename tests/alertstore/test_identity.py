"""Record identity under a Prometheus pair (alertstore/layout.py, "Record identity"): each
Prometheus stamps its own startsAt, so a fingerprint's startsAt within the tolerance of its
latest instance's, before that instance's resolve, is that instance. Against a real Redis."""

from datetime import timedelta

from alertstore import reader, writer
from alertstore.records import alert_id
from tests.alertstore.events import COOLDOWN, T0, event, minutes, pending

TOLERANCE = 4  # seconds: the fast profile's (2 * (1s scrape + 1s evaluation))
A, B = T0, T0 + timedelta(seconds=1.5)  # the two replicas' startsAt of one instance


def write(store, *events, at):
    return writer.record_transitions(
        store,
        events,
        now=at,
        cooldown_seconds=COOLDOWN,
        flap_window_seconds=3600,
        starts_at_tolerance_seconds=TOLERANCE,
    )


def messages(store, record_id):
    return [n["kind"] for n in reader.get_alert(store, record_id)["notifications"]]


def test_the_replicas_startsat_make_one_record_and_one_firing_message(store):
    (first,) = write(store, event(starts_at=B), at=T0 + minutes(1))  # B's copy came first
    (second,) = write(store, event(starts_at=A), at=T0 + minutes(1.5))

    assert (first.alert_id, first.transition, first.enqueued) == (
        alert_id("fp-error", B),
        "created",
        "firing",
    )
    assert (second.alert_id, second.transition, second.enqueued) == (
        first.alert_id,
        "duplicate",
        None,
    )
    total, listed = reader.list_alerts(store)
    assert total == 1 and listed[0]["status"] == "firing"
    assert messages(store, first.alert_id) == ["firing"]
    assert len(pending(store)) == 1


def test_both_replicas_in_one_batch_are_one_record(store):
    outcomes = write(store, event(starts_at=B), event(starts_at=A), at=T0 + minutes(1))

    assert [o.transition for o in outcomes] == ["duplicate", "created"]  # oldest applied first
    assert {o.alert_id for o in outcomes} == {alert_id("fp-error", A)}
    assert reader.list_alerts(store)[0] == 1


def test_a_resolve_carrying_the_other_replicas_startsat_resolves_the_record(store):
    (fired,) = write(store, event(starts_at=A), at=T0 + minutes(1))
    ends = T0 + minutes(10)

    (resolved,) = write(store, event(status="resolved", starts_at=B, ends_at=ends), at=ends)
    (again,) = write(store, event(status="resolved", starts_at=A, ends_at=ends), at=ends)

    assert (resolved.alert_id, resolved.transition, resolved.enqueued) == (
        fired.alert_id,
        "updated",
        "resolved",
    )
    assert again.transition == "duplicate"
    record = reader.get_alert(store, fired.alert_id)
    assert (record["status"], record["resolution"]) == ("resolved", "alertmanager")
    assert messages(store, fired.alert_id) == ["firing", "resolved"]
    assert reader.list_alerts(store)[0] == 1


def test_a_new_instance_after_the_resolve_is_a_new_record_even_within_the_tolerance(store):
    (fired,) = write(store, event(starts_at=A), at=T0)
    ends = A + timedelta(seconds=2)  # an instance shorter than the tolerance
    write(store, event(status="resolved", starts_at=A, ends_at=ends), at=ends)
    refire = ends + timedelta(seconds=1)  # |refire - A| = 3s ≤ TOLERANCE, but after the resolve

    (new,) = write(store, event(starts_at=refire), at=refire)

    assert (new.alert_id, new.transition, new.enqueued) == (
        alert_id("fp-error", refire),
        "created",
        "firing",
    )
    assert reader.get_alert(store, fired.alert_id)["status"] == "resolved"
    assert messages(store, fired.alert_id) == ["firing", "resolved"]
    assert reader.list_alerts(store)[0] == 2


def test_a_startsat_beyond_the_tolerance_is_a_newer_instance(store):
    (older,) = write(store, event(starts_at=A), at=T0)
    later = A + timedelta(seconds=TOLERANCE + 1)

    (newer,) = write(store, event(starts_at=later), at=later)

    assert (newer.transition, newer.superseded) == ("created", older.alert_id)
    assert reader.get_alert(store, older.alert_id)["resolution"] == "inferred"
    assert messages(store, newer.alert_id) == ["firing"]


def test_statuses_of_finds_the_record_each_event_applies_to_as_the_writer_does(store):
    def statuses(*events):
        return writer.statuses_of(store, list(events), starts_at_tolerance_seconds=TOLERANCE)

    assert statuses(event(starts_at=A)) == [None]  # nothing stored: it would create one
    write(store, event(starts_at=A), at=T0)
    ends = A + timedelta(seconds=2)
    refire = ends + timedelta(seconds=1)

    # the other replica's startsAt is the stored record; one beyond the tolerance is not
    assert statuses(event(status="resolved", starts_at=B, ends_at=ends)) == ["firing"]
    assert statuses(event(starts_at=A + timedelta(seconds=TOLERANCE + 1))) == [None]
    write(store, event(status="resolved", starts_at=B, ends_at=ends), at=ends)
    # after the resolve: the resolved record, but a startsAt after it would be a new one
    assert statuses(event(starts_at=B), event(starts_at=refire)) == ["resolved", None]
