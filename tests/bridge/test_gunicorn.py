"""The bridge as production runs it: gunicorn, two workers, multiprocess metrics."""

import subprocess
import sys

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from alertstore import reader
from testkit.polling import wait_until
from testkit.ports import free_port
from testkit.processes import ServerProcess
from tests.bridge.conftest import BRIDGE_DIR, auth, bridge_env
from tests.bridge.payloads import alert, webhook

GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "bridge:create_app()"]


@pytest.fixture
def bridge_process(redis_server, tmp_path):
    port = free_port()
    env = bridge_env(
        redis_server.url, BRIDGE_PORT=str(port), PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "m")
    )
    url = f"http://127.0.0.1:{port}"
    process = ServerProcess(
        "bridge", GUNICORN, log_dir=tmp_path, cwd=BRIDGE_DIR, env=env, ready_url=f"{url}/health"
    )
    process.url = url
    with process:
        yield process


@pytest.fixture
def bridge(bridge_process):
    return bridge_process.url


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


def test_a_webhook_s_outcome_is_in_the_bridge_log(bridge_process):
    response = requests.post(
        f"{bridge_process.url}/webhook", json=webhook(alert()), headers=auth(), timeout=10
    )
    assert response.status_code == 200, response.text

    line = wait_until(
        lambda: next(
            (x for x in bridge_process.log_path.read_text().splitlines() if "webhook from" in x),
            None,
        ),
        "the webhook's log line",
    )
    assert " INFO bridge.webhook: webhook from " in line and "1 alerts" in line, line


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ALERT_BRIDGE_TOKEN": "short"}, "alert bridge: ALERT_BRIDGE_TOKEN must be at least 16"),
        # its env file always sets it: no private folder of its own behind the config's back
        ({}, "alert bridge: PROMETHEUS_MULTIPROC_DIR is required under gunicorn"),
        ({"REDIS_URL": None}, "alert bridge: REDIS_URL not set"),
    ],
)
def test_a_bad_configuration_stops_gunicorn_before_any_worker(redis_server, env, message):
    merged = {**bridge_env(redis_server.url), "PATH": "/usr/bin:/bin", **env}
    result = subprocess.run(
        GUNICORN,
        cwd=BRIDGE_DIR,
        env={name: value for name, value in merged.items() if value is not None},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert message in result.stderr
