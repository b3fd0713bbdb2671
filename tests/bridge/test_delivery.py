"""The delivery worker: pure pieces, then real `python -m bridge.delivery` processes
against the Slack stand-in, fed through the real webhook over a shared Redis."""

import signal
import time
from datetime import UTC, datetime

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from alertstore import layout, reader
from bridge.delivery import backoff, retry_after
from tests.bridge.conftest import auth
from tests.bridge.payloads import alert, resolved, webhook

DEADLINE = 60  # seconds: generous, the machine is shared


def test_backoff_doubles_up_to_the_cap():
    assert [backoff(n, cap=10) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
    assert backoff(500, cap=300) == 300


def test_retry_after_seconds_or_date():
    now = datetime(2025, 10, 15, 12, 0, tzinfo=UTC)

    assert retry_after("7", now) == 7
    assert retry_after("Wed, 15 Oct 2025 12:00:30 GMT", now) == 30
    assert retry_after("Wed, 15 Oct 2025 11:00:00 GMT", now) == 0
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None


def fire(client, *alerts):
    response = client.post("/webhook", json=webhook(*alerts), headers=auth())
    assert response.status_code == 200, response.get_json()
    return [a["id"] for a in response.get_json()["alerts"]]


def poll(predicate, what, timeout=DEADLINE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout}s: {what}")


def outbox_empty(store):
    return store.llen(layout.OUTBOX_PENDING_KEY) + store.llen(layout.OUTBOX_PROCESSING_KEY) == 0


def titles(messages):
    return [m["text"].split(" — ")[0] for m in messages]


def test_delivers_in_order_and_marks_sent(client, store, fake_slack, start_worker):
    (aid,) = fire(client, alert())
    fire(client, resolved(alert()))
    start_worker(fake_slack.url)

    messages = fake_slack.wait_for(2, timeout=DEADLINE)

    assert titles(messages) == ["[FIRING] HighErrorRate", "[RESOLVED] HighErrorRate"]
    poll(lambda: outbox_empty(store), "outbox drained")
    record = reader.get_alert(store, aid)
    assert record["sent_to_slack"] is True
    assert [
        (n["state"], n["attempts"], n["last_http_status"]) for n in record["notifications"]
    ] == [
        ("sent", 1, 200),
        ("sent", 1, 200),
    ]


def test_server_errors_and_timeouts_are_retried_until_delivered_once(
    client, store, fake_slack, start_worker
):
    fake_slack.script([(500,), ("timeout", 2.0), (503,)])
    (aid,) = fire(client, alert())
    start_worker(fake_slack.url)

    fake_slack.wait_for(1, timeout=DEADLINE)
    poll(lambda: outbox_empty(store), "outbox drained")

    assert len(fake_slack.received) == 1
    notification = reader.get_alert(store, aid)["notifications"][0]
    assert (notification["state"], notification["attempts"]) == ("sent", 4)


def test_429_retry_after_is_obeyed_and_blocks_the_line(client, store, fake_slack, start_worker):
    fake_slack.script([(429, {"Retry-After": "2"})])
    fire(client, alert(), alert(fingerprint="second", alertname="HighLatency"))
    start_worker(fake_slack.url)

    messages = fake_slack.wait_for(2, timeout=DEADLINE)

    attempts = fake_slack.attempts
    assert [a.status for a in attempts] == [429, 200, 200]
    assert attempts[1].at - attempts[0].at >= 1.9  # waited as told (a lower bound only)
    assert titles(messages) == ["[FIRING] HighErrorRate", "[FIRING] HighLatency"]


def test_a_refused_message_is_marked_failed_and_the_next_goes_out(
    client, store, fake_slack, start_worker
):
    fake_slack.script([(400, "invalid_payload")])
    first, second = fire(client, alert(), alert(fingerprint="second"))
    start_worker(fake_slack.url)

    fake_slack.wait_for(1, timeout=DEADLINE)
    poll(lambda: outbox_empty(store), "outbox drained")

    failed = reader.get_alert(store, first)["notifications"][0]
    assert (failed["state"], failed["last_http_status"]) == ("failed", 400)
    assert "invalid_payload" in failed["last_error"]
    assert reader.get_alert(store, second)["sent_to_slack"] is True


def test_without_a_slack_url_notifications_are_skipped(client, store, start_worker):
    (aid,) = fire(client, alert())
    start_worker("")

    poll(lambda: outbox_empty(store), "outbox drained")
    poll(
        lambda: reader.get_alert(store, aid)["notifications"][0]["state"] == "skipped",
        "notification skipped",
    )


def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(
    client, store, fake_slack, start_worker
):
    """SIGKILL while a message waits for its retry; a restarted worker finishes the job."""
    fake_slack.script([(200,), (200,), (500,), (500,), (500,)])
    ids = fire(client, *(alert(fingerprint=f"fp{i}", alertname=f"Alert{i}") for i in range(5)))
    worker = start_worker(fake_slack.url)
    poll(lambda: len(fake_slack.attempts) >= 3, "third attempt failed")
    worker.signal(signal.SIGKILL)
    worker.proc.wait(10)
    assert store.llen(layout.OUTBOX_PROCESSING_KEY) == 1  # the killed worker's entry

    start_worker(fake_slack.url, name="restarted")
    messages = fake_slack.wait_for(5, timeout=DEADLINE)
    poll(lambda: outbox_empty(store), "outbox drained")

    assert titles(messages) == [f"[FIRING] Alert{i}" for i in range(5)]
    assert len(fake_slack.received) == 5
    assert all(reader.get_alert(store, aid)["sent_to_slack"] for aid in ids)


def test_two_workers_deliver_each_message_once(client, store, fake_slack, start_worker):
    start_worker(fake_slack.url, name="a")
    start_worker(fake_slack.url, name="b")
    alerts = [alert(fingerprint=f"fp{i}", alertname=f"Alert{i}") for i in range(10)]
    for item in alerts:
        fire(client, item)
    for item in alerts[:5]:
        fire(client, resolved(item))

    fake_slack.wait_for(15, timeout=DEADLINE)
    poll(lambda: outbox_empty(store), "outbox drained")

    assert sorted(titles(fake_slack.received)) == sorted(
        [f"[FIRING] Alert{i}" for i in range(10)] + [f"[RESOLVED] Alert{i}" for i in range(5)]
    )
    for i in range(5):  # per alert: firing before resolved
        mine = [t for t in titles(fake_slack.received) if t.endswith(f"Alert{i}")]
        assert mine == [f"[FIRING] Alert{i}", f"[RESOLVED] Alert{i}"]


def test_a_standby_worker_takes_over_when_the_holder_dies(client, store, fake_slack, start_worker):
    first = start_worker(fake_slack.url, name="first")
    fire(client, alert())
    fake_slack.wait_for(1, timeout=DEADLINE)
    start_worker(fake_slack.url, name="standby")
    first.signal(signal.SIGKILL)

    fire(client, alert(fingerprint="after"))

    assert len(fake_slack.wait_for(2, timeout=DEADLINE)) == 2


def test_worker_metrics_count_deliveries(client, fake_slack, start_worker):
    # a: 500 (retried), then 404 (failed for good); b and c: delivered
    fake_slack.script([(500,), (404, "no_service")])
    fire(client, alert(), alert(fingerprint="b"), alert(fingerprint="c"))
    worker = start_worker(fake_slack.url)
    fake_slack.wait_for(2, timeout=DEADLINE)

    def counts():
        text = requests.get(worker.metrics_url, timeout=5).text
        return {
            sample.labels["outcome"]: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "taskmgr_bridge_slack_deliveries_total"
        }

    expected = {"ok": 2.0, "failed": 1.0, "retried": 1.0}
    poll(lambda: counts() == expected, f"deliveries counted as {expected}")


def test_sigterm_stops_cleanly_and_hands_the_entry_back(client, store, fake_slack, start_worker):
    fake_slack.script([(500,)] * 50)
    fire(client, alert())
    worker = start_worker(fake_slack.url, DELIVERY_MAX_BACKOFF_SECONDS="30")
    poll(lambda: len(fake_slack.attempts) >= 1, "first attempt")

    worker.signal(signal.SIGTERM)

    assert worker.proc.wait(DEADLINE) == 0
    assert store.llen(layout.OUTBOX_PENDING_KEY) == 1
    assert store.llen(layout.OUTBOX_PROCESSING_KEY) == 0
    assert not store.exists(layout.OUTBOX_LEASE_KEY)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ALERT_BRIDGE_TOKEN": "short"}, "at least 16 characters"),
        ({"PROMETHEUS_MULTIPROC_DIR": "/tmp/x"}, "unset PROMETHEUS_MULTIPROC_DIR"),
    ],
)
def test_a_bad_configuration_stops_the_worker(redis_server, tmp_path, env, message):
    import subprocess
    import sys

    from tests.bridge.conftest import BRIDGE_DIR, bridge_env

    result = subprocess.run(
        [sys.executable, "-m", "bridge.delivery"],
        cwd=BRIDGE_DIR,
        env={**bridge_env(redis_server.url), "PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert message in result.stderr
