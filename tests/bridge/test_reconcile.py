"""bridge.reconcile against real Alertmanagers (two, one of them stopped) and a real Redis:
a record stays firing exactly as long as an Alertmanager that answers still has it."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import requests

from alertstore import layout, reader, records, writer
from bridge import reconcile
from bridge.payload import parse_time
from testkit.alertmanager import Alertmanager
from testkit.polling import wait_until

NOW = datetime.now(UTC)
# the lifecycle settings a webhook would use (the stack's defaults); these Alertmanagers
# hold what the tests post to them, so no warm-up (tested on its own below)
LIFECYCLE = {
    "cooldown_seconds": 300,
    "flap_window_seconds": 3600,
    "starts_at_tolerance_seconds": 4,
    "warmup_seconds": 0,
}


@pytest.fixture
def alertmanagers(tmp_path):
    """(running, stopped): the second was started, then stopped, and never answers again."""
    running, stopped = Alertmanager(tmp_path, "am-1"), Alertmanager(tmp_path, "am-2")
    running.process.start()
    stopped.process.start()
    stopped.process.stop()
    yield running, stopped
    running.process.stop()


def store_from(store, alert: dict) -> str:
    """Store the firing record the bridge's webhook would have stored for `alert`."""
    event = records.AlertEvent(
        status="firing",
        labels=alert["labels"],
        starts_at=parse_time(alert["startsAt"], "startsAt"),
        fingerprint=alert["fingerprint"],
    )
    return writer.record_transition(
        store, event, now=NOW, cooldown_seconds=300, flap_window_seconds=3600
    ).alert_id


def lone_record(store, fingerprint: str = "no-alertmanager-has-it") -> str:
    return store_from(
        store,
        {"labels": {"alertname": "Gone"}, "startsAt": NOW.isoformat(), "fingerprint": fingerprint},
    )


def urls(*ams: Alertmanager) -> list[str]:
    return [am.url for am in ams]


def last_message(store, alert_id: str) -> str:
    return reader.get_alert(store, alert_id)["notifications"][-1]["kind"]


def test_an_instance_no_answering_alertmanager_has_is_resolved_by_inference(store, alertmanagers):
    running, stopped = alertmanagers
    kept = store_from(store, running.post("Kept"))
    gone = lone_record(store)

    result = reconcile.reconcile_once(
        store, urls(running, stopped), NOW, reconcile.http_get, **LIFECYCLE
    )

    assert (result.answered, result.resolved) == (1, [gone])
    record = reader.get_alert(store, gone)
    assert (record["status"], record["resolution"]) == ("resolved", "inferred")
    assert last_message(store, gone) == "resolved"
    pending = [layout.text(e) for e in store.lrange(layout.OUTBOX_PENDING_KEY, 0, -1)]
    assert pending[-1] == layout.outbox_entry(gone, 1)  # its resolved message is queued
    assert reader.get_alert(store, kept)["status"] == "firing"


def test_an_instance_is_kept_while_any_answering_alertmanager_has_it(store, tmp_path):
    first, second = Alertmanager(tmp_path, "am-a"), Alertmanager(tmp_path, "am-b")
    with first.process, second.process:
        kept = store_from(store, second.post("OnlyOnTheSecond"))

        result = reconcile.reconcile_once(store, urls(first, second), NOW, **LIFECYCLE)

    assert (result.answered, result.resolved) == (2, [])
    assert reader.get_alert(store, kept)["status"] == "firing"


def test_when_no_alertmanager_answers_nothing_changes(store, alertmanagers):
    running, stopped = alertmanagers
    gone = lone_record(store)
    running.process.stop()
    before = {layout.text(k): store.dump(k) for k in store.scan_iter()}

    result = reconcile.reconcile_once(store, urls(running, stopped), NOW, **LIFECYCLE)

    assert result.answered == 0
    assert {layout.text(k): store.dump(k) for k in store.scan_iter()} == before
    assert reader.get_alert(store, gone)["status"] == "firing"


def test_a_freshly_restarted_alertmanager_decides_no_resolve_until_it_warmed_up(
    store, alertmanagers
):
    """Alertmanager keeps no alerts across a restart: until Prometheus re-sent them, its
    empty list must not resolve records (a false RESOLVED, with no FIRING to follow)."""
    running, stopped = alertmanagers
    gone = lone_record(store)
    warmup = {**LIFECYCLE, "warmup_seconds": 3600}  # it started seconds ago

    result = reconcile.reconcile_once(store, urls(running, stopped), NOW, **warmup)

    assert result.answered == 0
    assert reader.get_alert(store, gone)["status"] == "firing"
    later = NOW + timedelta(hours=2)  # the same Alertmanager, warmed up
    first = reconcile.reconcile_once(store, urls(running), later, **warmup)
    assert (first.resolved, list(first.missing)) == ([], [gone])  # missing, not for long yet
    again = later + timedelta(seconds=3600)  # missing for a warm-up: gone
    result = reconcile.reconcile_once(
        store, urls(running), again, missing_since=first.missing, **warmup
    )
    assert result.resolved == [gone]


def test_a_silenced_alert_is_marked_and_unmarked_when_the_silence_expires(store, alertmanagers):
    running, stopped = alertmanagers
    alert_id = store_from(store, running.post("Noisy"))
    silence = running.silence("Noisy")
    wait_until(lambda: running.listed("Noisy", "silencedBy"), "the silence to apply")

    reconcile.reconcile_once(store, urls(running, stopped), NOW, **LIFECYCLE)
    assert reader.get_alert(store, alert_id)["suppressed_by"] == "silenced"

    running.expire(silence)
    wait_until(lambda: not running.listed("Noisy", "silencedBy"), "the silence to lift")
    reconcile.reconcile_once(store, urls(running, stopped), NOW, **LIFECYCLE)
    record = reader.get_alert(store, alert_id)
    assert (record["status"], record["suppressed_by"]) == ("firing", None)
    assert [n["kind"] for n in record["notifications"]] == ["firing"]  # muting says nothing


def test_an_inhibited_alert_is_marked_inhibited(store, alertmanagers):
    running, stopped = alertmanagers
    running.post("Source")
    target = store_from(store, running.post("Target"))
    wait_until(lambda: running.listed("Target", "inhibitedBy"), "the inhibition")

    result = reconcile.reconcile_once(store, urls(running, stopped), NOW, **LIFECYCLE)

    assert result.marked == {target: "inhibited"}
    assert reader.get_alert(store, target)["suppressed_by"] == "inhibited"


def test_heartbeats_are_ignored_and_a_newer_instance_resolves_the_older_and_pages(
    store, alertmanagers
):
    """Issue 11 item 6: a resolve and a re-fire merged in one group interval. Alertmanager
    holds only the newer instance and, seeing the same firing group, sends no webhook until
    its repeat: the older record is resolved by inference and the newer one stored firing,
    so Slack's last word (FIRING, queued after the inferred RESOLVED) is the real state."""
    running, stopped = alertmanagers
    running.post("Heartbeat", alert_type="heartbeat")
    newer = running.post("Flappy", starts_at=NOW)
    older = store_from(store, {**newer, "startsAt": (NOW - timedelta(minutes=5)).isoformat()})

    result = reconcile.reconcile_once(store, urls(running, stopped), NOW, **LIFECYCLE)

    assert result.resolved == [older]
    total, (latest, earlier) = reader.list_alerts(store)  # no record for the heartbeat
    assert total == 2
    assert (earlier["id"], earlier["status"], earlier["resolution"]) == (
        older,
        "resolved",
        "inferred",
    )
    assert latest["id"] == records.alert_id(newer["fingerprint"], NOW)
    assert (latest["status"], latest["ends_at"]) == ("firing", None)
    owed = store.lrange(layout.OUTBOX_PENDING_KEY, 0, -1)
    assert [layout.text(e).split(":")[0] for e in owed][-2:] == [older, latest["id"]]
    assert last_message(store, older) == "resolved"
    assert last_message(store, latest["id"]) == "firing"


def test_the_other_replicas_startsat_is_the_same_instance_a_later_one_is_not(store, alertmanagers):
    """A Prometheus pair (layout: record identity): the record holds one replica's startsAt,
    Alertmanager the other's (it keeps the earliest). Within the tolerance it is the same
    instance and stays firing; beyond it, Alertmanager's is a newer one that resolves it."""
    running, stopped = alertmanagers
    held = running.post("Paired", starts_at=NOW)
    replica_b = {**held, "startsAt": (NOW + timedelta(seconds=1.5)).isoformat()}
    kept = store_from(store, replica_b)

    result = reconcile.reconcile_once(store, urls(running, stopped), NOW, **LIFECYCLE)

    assert result.resolved == [] and reader.list_alerts(store)[0] == 1
    assert reader.get_alert(store, kept)["status"] == "firing"

    store.flushdb()
    beyond = {**held, "startsAt": (NOW - timedelta(seconds=5)).isoformat()}  # tolerance 4s
    older = store_from(store, beyond)

    result = reconcile.reconcile_once(store, urls(running, stopped), NOW, **LIFECYCLE)

    assert result.resolved == [older]
    assert reader.get_alert(store, older)["resolution"] == "inferred"


def resolve_in(alertmanager: Alertmanager, listed: dict) -> None:
    """Post `listed`'s resolve, as one replica of a pair does, and wait until it is gone."""
    body = [{"labels": listed["labels"], "startsAt": listed["startsAt"], "endsAt": iso_now()}]
    requests.post(f"{alertmanager.url}/api/v2/alerts", json=body, timeout=5).raise_for_status()
    wait_until(lambda: not alertmanager.listed(listed["labels"]["alertname"]), "the resolve")


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def test_an_instance_missing_for_one_round_is_kept_and_missing_for_a_warm_up_is_resolved(
    store, alertmanagers
):
    """A Prometheus pair resolving a moment apart: Alertmanager holds the alert resolved
    (one replica's resolve) until the other replica's next firing copy. A round in that
    moment must not resolve the record (FIRING, RESOLVED, FIRING in Slack); an instance
    missing from one round to another a warm-up later, and in between, is gone."""
    running, stopped = alertmanagers
    listed = running.post("Paired")
    alert_id = store_from(store, listed)
    rules = {**LIFECYCLE, "warmup_seconds": 60}
    start = NOW + timedelta(hours=1)  # long after the Alertmanager started: warmed up

    def round_at(seconds: float, missing_since=None) -> reconcile.Result:
        at = start + timedelta(seconds=seconds)
        return reconcile.reconcile_once(
            store, urls(running, stopped), at, missing_since=missing_since, **rules
        )

    resolve_in(running, listed)
    flap = round_at(0)
    assert (flap.resolved, list(flap.missing)) == ([], [alert_id])
    running.post("Paired", starts_at=parse_time(listed["startsAt"], "startsAt"))  # firing again
    held = round_at(90, flap.missing)  # a warm-up after the first miss, but held again
    assert (held.resolved, held.missing) == ([], {})
    assert reader.get_alert(store, alert_id)["status"] == "firing"

    resolve_in(running, listed)
    first = round_at(100, held.missing)  # missing again: counted from here
    assert (first.resolved, list(first.missing)) == ([], [alert_id])
    nearly = round_at(159, first.missing)
    assert (nearly.resolved, nearly.missing) == ([], first.missing)
    stopped_answering = reconcile.reconcile_once(
        store, urls(stopped), start, missing_since=nearly.missing, **rules
    )
    assert stopped_answering.missing == nearly.missing  # a round that saw nothing forgets nothing
    gone = round_at(160, stopped_answering.missing)
    assert (gone.resolved, gone.missing) == ([alert_id], {})
    record = reader.get_alert(store, alert_id)
    assert (record["status"], record["resolution"]) == ("resolved", "inferred")
    assert [n["kind"] for n in record["notifications"]] == ["firing", "resolved"]


def test_run_reconciles_every_interval_until_stopped(store, alertmanagers, config):
    running, stopped = alertmanagers
    gone = lone_record(store)
    config = replace(config, alertmanager_urls=tuple(urls(running, stopped)))
    # rounds every 0.2 s; the Alertmanagers were started a moment ago: a short warm-up
    config = replace(config, reconcile_interval_seconds=0.2, alertmanager_warmup_seconds=0.5)
    stop = threading.Event()
    thread = threading.Thread(target=reconcile.run, args=(config, store, stop))
    thread.start()
    try:
        wait_until(lambda: reader.get_alert(store, gone)["status"] == "resolved", "a round")
        later = lone_record(store, "appears-later")
        wait_until(lambda: reader.get_alert(store, later)["status"] == "resolved", "another")
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
