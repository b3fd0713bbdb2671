"""The bridge as production runs it: gunicorn, two workers, multiprocess metrics."""

import subprocess
import sys

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from alertstore import reader
from tests.bridge.conftest import BRIDGE_DIR, auth, bridge_env
from tests.bridge.payloads import alert, webhook
from tests.support.ports import free_port
from tests.support.processes import ServerProcess

GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "bridge:create_app()"]


@pytest.fixture(params=["given metrics dir", "own metrics dir"])
def bridge(request, redis_server, tmp_path, monkeypatch):
    port = free_port()
    env = bridge_env(redis_server.url, BRIDGE_PORT=str(port))
    if request.param == "given metrics dir":
        env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "metrics")
    else:
        monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    url = f"http://127.0.0.1:{port}"
    with ServerProcess(
        "bridge", GUNICORN, log_dir=tmp_path, cwd=BRIDGE_DIR, env=env, ready_url=f"{url}/health"
    ):
        yield url


def accepted(url: str) -> float:
    text = requests.get(f"{url}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "taskmgr_bridge_webhooks_received_total" and sample.labels == {
                "outcome": "accepted"
            }:
                return sample.value
    return 0


def test_webhooks_through_gunicorn_are_stored_and_counted_across_workers(bridge, redis_server):
    session = requests.Session()  # keep-alive off under sync workers: requests spread out
    ids = []
    for i in range(20):
        response = session.post(
            f"{bridge}/webhook",
            json=webhook(alert(fingerprint=f"fp{i}")),
            headers=auth(),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        ids.append(response.json()["alerts"][0]["id"])

    assert accepted(bridge) == 20  # whichever worker answers the scrape
    assert reader.list_alerts(redis_server.client(), limit=100)[0] == 20
    assert requests.get(f"{bridge}/ready", timeout=5).json()["status"] == "ok"


def test_a_bad_configuration_stops_gunicorn_before_any_worker(redis_server, tmp_path):
    result = subprocess.run(
        GUNICORN,
        cwd=BRIDGE_DIR,
        env={
            **bridge_env(redis_server.url),
            "ALERT_BRIDGE_TOKEN": "short",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "alert bridge: ALERT_BRIDGE_TOKEN must be at least 16 characters" in result.stderr
