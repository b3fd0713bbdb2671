"""A real Alertmanager on the rendered fast profile delivers to the bridge's address with the
bearer token, sends the resolved notice, holds back symptoms only while the whole API is down,
repeats a firing alert every cooldown (not every other group tick) and delivers the heartbeat
to its own endpoint.

The webhook receiver here is a recorder standing at the bridge's address: what is under test
is Alertmanager's configuration, not the bridge (the end-to-end tests use the real one).
"""

import contextlib
import itertools
import json
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from stack.render import render
from testkit.alertmanager import Alertmanager
from testkit.polling import wait_until
from tests.alertmanager.conftest import BRIDGE_TOKEN, stack_settings


class Recorder(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((self.path, self.headers.get("Authorization"), body))
        self.server.arrivals.append((time.monotonic(), self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.received = []
    server.arrivals = []  # (monotonic time, path, body)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def start_alertmanager(tmp_path, recorder):
    """start(**settings) → base URL of a running Alertmanager (fast profile plus `settings`)
    whose bridge is `recorder`."""
    with contextlib.ExitStack() as stack:

        def start(**env: str) -> str:
            settings = stack_settings(
                tmp_path, TIMING_PROFILE="fast", BRIDGE_PORT=str(recorder.server_address[1]), **env
            )
            config = render(settings, tmp_path / "config")
            alertmanager = Alertmanager(
                tmp_path, "alertmanager", config_file=config / "alertmanager.yml"
            )
            stack.enter_context(alertmanager.process)
            return alertmanager.url

        yield start


@pytest.fixture
def alertmanager(start_alertmanager):
    return start_alertmanager()


def post_alert(
    url: str, alertname: str, severity: str, *, resolved: bool = False, **labels: str
) -> None:
    alert = {
        "labels": {
            "alertname": alertname,
            "severity": severity,
            "alert_type": alertname.lower(),
            **labels,
        }
    }
    if resolved:
        alert["endsAt"] = datetime.now(UTC).isoformat()
    else:  # as Prometheus sends it: valid for a few resend delays, then sent again
        alert["endsAt"] = (datetime.now(UTC) + timedelta(seconds=10)).isoformat()
    requests.post(f"{url}/api/v2/alerts", json=[alert], timeout=5).raise_for_status()


def deliveries(recorder, status: str) -> list:
    return [entry for entry in recorder.received if entry[2]["status"] == status]


def test_firing_and_resolved_notices_reach_the_bridge_with_the_token(alertmanager, recorder):
    post_alert(alertmanager, "HighErrorRate", "error")
    [(path, authorization, payload)] = wait_until(
        lambda: deliveries(recorder, "firing"), "firing notice"
    )
    assert path == "/webhook"
    assert authorization == f"Bearer {BRIDGE_TOKEN}"
    assert payload["receiver"] == "taskmgr-bridge-error"
    assert payload["groupLabels"] == {"alertname": "HighErrorRate", "alert_type": "higherrorrate"}

    post_alert(alertmanager, "HighErrorRate", "error", resolved=True)
    resolved = wait_until(lambda: deliveries(recorder, "resolved"), "resolved notice")
    assert resolved[0][2]["alerts"][0]["status"] == "resolved"


def inhibited(url: str) -> set[str]:
    alerts = requests.get(f"{url}/api/v2/alerts", timeout=5).json()
    return {a["labels"]["alertname"] for a in alerts if a["status"]["inhibitedBy"]}


def notified(recorder) -> set[str]:
    return {
        alert["labels"]["alertname"] for *_, body in recorder.received for alert in body["alerts"]
    }


def test_api_down_inhibits_the_symptoms_and_the_dead_instances(alertmanager, recorder):
    post_alert(alertmanager, "ApiDown", "critical")
    post_alert(alertmanager, "ApiInstanceDown", "error", instance="api-1:8000")
    post_alert(alertmanager, "HighLatency", "warning")
    post_alert(alertmanager, "AvailabilityBudgetFastBurn", "critical")

    symptoms = {"ApiInstanceDown", "HighLatency", "AvailabilityBudgetFastBurn"}
    wait_until(lambda: inhibited(alertmanager) == symptoms, f"{sorted(symptoms)} inhibited")
    wait_until(lambda: deliveries(recorder, "firing"), "the ApiDown notice")
    assert notified(recorder) == {"ApiDown"}


def test_one_dead_instance_silences_nothing(alertmanager, recorder):
    post_alert(alertmanager, "ApiInstanceDown", "error", instance="api-2:8000")
    post_alert(alertmanager, "HighErrorRate", "error")
    wait_until(
        lambda: notified(recorder) == {"ApiInstanceDown", "HighErrorRate"},
        "both the dead instance and the live one's error rate to be notified",
    )
    assert inhibited(alertmanager) == set()


def arrival_intervals(recorder, path: str, alertname: str, count: int, keep_firing) -> list:
    """Seconds between the first `count` notices of `alertname` on `path`, calling
    keep_firing() meanwhile as Prometheus re-sends a firing alert."""

    def arrivals():
        keep_firing()
        return [
            at
            for at, at_path, body in list(recorder.arrivals)
            if at_path == path
            and body["status"] == "firing"
            and body["alerts"][0]["labels"]["alertname"] == alertname
        ]

    times = wait_until(lambda: len(found := arrivals()) >= count and found, f"{count} notices")
    return [later - earlier for earlier, later in itertools.pairwise(times[:count])]


# Production's shape, scaled down: the cooldown equals group_interval there (300 s each).
# Before the fix every reminder slipped a whole tick: 4 s apart here, 10 minutes there.
def test_a_firing_alert_is_repeated_every_cooldown(start_alertmanager, recorder):
    url = start_alertmanager(GROUP_INTERVAL="2s", ALERT_COOLDOWN_SECONDS="2")
    intervals = arrival_intervals(
        recorder, "/webhook", "HighErrorRate", 6, lambda: post_alert(url, "HighErrorRate", "error")
    )
    assert 1.0 <= statistics.mean(intervals) <= 3.0, intervals


def test_the_heartbeat_reaches_its_endpoint_every_interval_even_while_the_api_is_down(
    alertmanager, recorder
):
    def keep_firing():
        post_alert(alertmanager, "Heartbeat", "none")
        post_alert(alertmanager, "ApiDown", "critical")

    intervals = arrival_intervals(recorder, "/heartbeat", "Heartbeat", 5, keep_firing)
    assert 1.0 <= statistics.mean(intervals) <= 3.0, intervals  # HEARTBEAT_INTERVAL: 2s
    assert "Heartbeat" not in inhibited(alertmanager)
    on_webhook = {
        alert["labels"]["alertname"]
        for path, _, body in recorder.received
        if path == "/webhook"
        for alert in body["alerts"]
    }
    assert on_webhook == {"ApiDown"}
    [heartbeat_receiver] = {
        body["receiver"] for path, _, body in recorder.received if path == "/heartbeat"
    }
    assert heartbeat_receiver == "taskmgr-heartbeat"
