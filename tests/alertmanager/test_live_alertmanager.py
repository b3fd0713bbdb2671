"""A real Alertmanager on the rendered fast profile delivers to the bridge's address with the
bearer token, sends the resolved notice, and holds back symptoms while the API is down.

The webhook receiver here is a recorder standing at the bridge's address: what is under test
is Alertmanager's configuration, not the bridge (the end-to-end tests use the real one).
"""

import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from stack import binaries
from stack.render import render
from tests.alertmanager.conftest import BRIDGE_TOKEN, stack_settings
from tests.support.ports import free_port
from tests.support.processes import ServerProcess


class Recorder(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((self.path, self.headers.get("Authorization"), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def alertmanager(tmp_path, recorder):
    """Base URL of a running Alertmanager whose bridge is `recorder`."""
    port = free_port()
    settings = stack_settings(
        tmp_path, TIMING_PROFILE="fast", BRIDGE_PORT=str(recorder.server_address[1])
    )
    config = render(settings, tmp_path / "config")
    url = f"http://127.0.0.1:{port}"
    argv = [
        binaries.require("alertmanager"),
        f"--config.file={config / 'alertmanager.yml'}",
        f"--storage.path={tmp_path / 'alertmanager'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",  # no gossip port to clash with parallel tests
    ]
    with ServerProcess("alertmanager", argv, log_dir=tmp_path, ready_url=f"{url}/-/ready"):
        yield url


def post_alert(url: str, alertname: str, severity: str, *, resolved: bool = False) -> None:
    alert = {
        "labels": {"alertname": alertname, "severity": severity, "alert_type": alertname.lower()}
    }
    if resolved:
        alert["endsAt"] = datetime.now(UTC).isoformat()
    requests.post(f"{url}/api/v2/alerts", json=[alert], timeout=5).raise_for_status()


def wait_for(predicate, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def deliveries(recorder, status: str) -> list:
    return [entry for entry in recorder.received if entry[2]["status"] == status]


def test_firing_and_resolved_notices_reach_the_bridge_with_the_token(alertmanager, recorder):
    post_alert(alertmanager, "HighErrorRate", "error")
    [(path, authorization, payload)] = wait_for(
        lambda: deliveries(recorder, "firing"), "firing notice"
    )
    assert path == "/webhook"
    assert authorization == f"Bearer {BRIDGE_TOKEN}"
    assert payload["receiver"] == "taskmgr-bridge-error"
    assert payload["groupLabels"] == {"alertname": "HighErrorRate", "alert_type": "higherrorrate"}

    post_alert(alertmanager, "HighErrorRate", "error", resolved=True)
    resolved = wait_for(lambda: deliveries(recorder, "resolved"), "resolved notice")
    assert resolved[0][2]["alerts"][0]["status"] == "resolved"


def test_api_down_inhibits_high_latency(alertmanager, recorder):
    post_alert(alertmanager, "ApiDown", "critical")
    post_alert(alertmanager, "HighLatency", "warning")

    def inhibited():
        alerts = requests.get(f"{alertmanager}/api/v2/alerts", timeout=5).json()
        return [
            a
            for a in alerts
            if a["labels"]["alertname"] == "HighLatency" and a["status"]["inhibitedBy"]
        ]

    wait_for(inhibited, "HighLatency to be inhibited")
    wait_for(lambda: deliveries(recorder, "firing"), "the ApiDown notice")
    notified = {
        alert["labels"]["alertname"] for *_, body in recorder.received for alert in body["alerts"]
    }
    assert notified == {"ApiDown"}
