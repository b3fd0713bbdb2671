"""The pipeline monitor in real `python -m bridge.delivery` processes: one Slack message
when heartbeats stop, one when they return, whatever the number of workers; nothing
during the grace after a worker starts."""

import time
from datetime import UTC, datetime, timedelta

from alertstore import layout, pipeline
from testkit.ports import free_port
from tests.bridge.conftest import auth
from tests.bridge.payloads import alert, webhook

DEADLINE = 60
HEARTBEAT = webhook(
    alert(fingerprint="hb", alertname="Heartbeat", severity="none", alert_type="heartbeat"),
    receiver="taskmgr-heartbeat",
)


def send_heartbeats_until(client, predicate, what, timeout=DEADLINE):
    """Heartbeat every 0.3 s, as Alertmanager would, until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert client.post("/heartbeat", json=HEARTBEAT, headers=auth()).status_code == 200
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout}s: {what}")


def test_two_workers_announce_a_broken_pipeline_once_and_its_recovery_once(
    client, store, fake_slack, start_worker
):
    timing = {
        "HEARTBEAT_TIMEOUT_SECONDS": "2",
        "PROMETHEUS_EXTERNAL_URL": f"http://127.0.0.1:{free_port()}",  # nothing there
    }
    start_worker(fake_slack.url, name="a", **timing)
    start_worker(fake_slack.url, name="b", **timing)

    (broken,) = fake_slack.wait_for(1, timeout=DEADLINE)
    send_heartbeats_until(client, lambda: len(fake_slack.received) >= 2, "recovered")
    # keep the heartbeat alive over several timeouts: nothing more may be said
    started = time.monotonic()
    send_heartbeats_until(client, lambda: time.monotonic() - started > 5, "5 s of heartbeats")

    texts = [m["text"] for m in fake_slack.received]
    assert len(texts) == 2, texts
    assert broken["text"].startswith("[PIPELINE BROKEN]")
    assert "no heartbeat received since the worker started" in broken["text"]
    assert "Prometheus at http://127.0.0.1:" in broken["text"]  # what it can tell
    assert texts[1].startswith("[PIPELINE RECOVERED]")
    state = store.hgetall(layout.PIPELINE_STATE_KEY)
    assert (state[b"state"], state[b"announced"]) == (b"ok", b"1")


def test_no_page_before_the_first_heartbeat_could_arrive(client, store, fake_slack, start_worker):
    """A stack restarted on yesterday's Redis: its last heartbeat is old, the first new
    one comes after the worker starts. Without the grace it paged broken, then recovered."""
    pipeline.record_heartbeat(store, datetime.now(UTC) - timedelta(days=1))
    started = time.monotonic()
    start_worker(fake_slack.url, HEARTBEAT_TIMEOUT_SECONDS="3")
    time.sleep(1)  # the first heartbeat arrives a second after the start

    send_heartbeats_until(client, lambda: time.monotonic() - started > 8, "8 s of heartbeats")

    assert fake_slack.received == []
    assert store.hget(layout.PIPELINE_STATE_KEY, "state") == b"ok"
