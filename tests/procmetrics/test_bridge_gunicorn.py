"""The bridge's /metrics under real gunicorn goes through procmetrics like the API's: a dead
worker is folded (its counts kept, its files gone) and a not-yet-sized file fails nothing."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
import requests

from testkit.exposition import Samples, scrape
from testkit.polling import wait_until
from testkit.ports import free_port
from testkit.processes import ServerProcess
from tests.bridge.conftest import BRIDGE_DIR, auth, bridge_env
from tests.bridge.payloads import alert, webhook
from tests.procmetrics.conftest import pids_with_files

GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "bridge:create_app()"]
ACCEPTED = ("taskmgr_bridge_webhooks_received_total", (("outcome", "accepted"),))


class Bridge:
    def __init__(self, process: ServerProcess, url: str, folder: Path) -> None:
        self.process, self.url, self.folder = process, url, folder

    def metrics(self) -> Samples:
        return scrape(f"{self.url}/metrics")

    def worker_pids(self) -> set[int]:
        return self.process.children()

    def post(self, n: int) -> None:
        for i in range(n):
            response = requests.post(
                f"{self.url}/webhook",
                json=webhook(alert(fingerprint=f"fp{time.monotonic_ns()}-{i}")),
                headers=auth(),
                timeout=10,
            )
            assert response.status_code == 200, response.text


@pytest.fixture
def bridge(redis_server, tmp_path):
    port = free_port()
    folder = tmp_path / "metrics"
    env = bridge_env(redis_server.url, BRIDGE_PORT=str(port), PROMETHEUS_MULTIPROC_DIR=str(folder))
    url = f"http://127.0.0.1:{port}"
    process = ServerProcess(
        "bridge", GUNICORN, log_dir=tmp_path, cwd=BRIDGE_DIR, env=env, ready_url=f"{url}/health"
    )
    with process:
        yield Bridge(process, url, folder)


def test_a_killed_bridge_worker_keeps_its_counts_and_leaves_no_files(bridge):
    before = bridge.metrics().get(ACCEPTED, 0)
    bridge.post(20)
    victims = pids_with_files(bridge.folder) & bridge.worker_pids()
    assert victims, "no worker wrote metrics"
    victim = max(victims)

    os.kill(victim, signal.SIGKILL)
    wait_until(
        lambda: victim not in bridge.worker_pids() and len(bridge.worker_pids()) == 2,
        "the killed worker replaced",
    )
    bridge.post(10)
    scraped = bridge.metrics()

    assert scraped[ACCEPTED] - before == 30
    assert victim not in pids_with_files(bridge.folder)
    assert (bridge.folder / "counter_archive.db").exists()


def test_a_file_not_sized_yet_does_not_fail_the_bridge_scrape(bridge):
    bridge.post(3)
    (bridge.folder / f"counter_{os.getpid()}.db").touch()  # a live process, file not sized

    assert bridge.metrics()[ACCEPTED] == 3


def test_a_fresh_bridge_exports_every_known_series_at_zero(bridge):
    # Grafana's webhook and transition panels show 0, not "no data", before any alert.
    scraped = bridge.metrics()

    series = {
        (name, dict(labels).get("outcome") or dict(labels).get("transition")): value
        for (name, labels), value in scraped.items()
        if name.startswith("taskmgr_bridge_") and name.endswith("_total")
    }
    received = "taskmgr_bridge_webhooks_received_total"
    stored = "taskmgr_bridge_alerts_stored_total"
    expected = {
        **{(received, o): 0 for o in ("accepted", "unauthorized", "invalid", "too_large")},
        (received, "unavailable"): 0,
        **{(stored, t): 0 for t in ("created", "updated", "duplicate")},
    }
    assert {k: v for k, v in series.items() if k[0] in (received, stored)} == expected, scraped
