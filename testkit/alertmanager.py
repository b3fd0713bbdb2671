"""A real Alertmanager (Debian's prometheus-alertmanager) on a free port, clustering off,
for tests that need its API: post alerts as Prometheus does, list them, silence and list
silences. Used by the bridge's reconciliation and Acknowledge tests and the live
routing tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from stack import binaries
from testkit.polling import wait_until
from testkit.ports import free_port
from testkit.processes import ServerProcess

# One receiver that goes nowhere (the bridge is not under test), and an inhibition.
CONFIG = """
route:
  receiver: nowhere
receivers:
  - name: nowhere
inhibit_rules:
  - source_matchers: ['alertname="Source"']
    target_matchers: ['alertname="Target"']
"""


class Alertmanager:
    def __init__(
        self, tmp_path: Path, name: str, config: str = CONFIG, *, config_file: Path | None = None
    ) -> None:
        """`config` as text, or a rendered `config_file` (its relative paths, such as the
        bridge token, resolve from its own folder)."""
        port = free_port()
        work = tmp_path / name
        work.mkdir()
        if config_file is None:
            config_file = work / "alertmanager.yml"
            config_file.write_text(config)
        self.url = f"http://127.0.0.1:{port}"
        self.process = ServerProcess(
            name,
            [
                binaries.require("alertmanager"),
                f"--config.file={config_file}",
                f"--storage.path={work}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",  # independent ones, no gossip
            ],
            log_dir=work,
            ready_url=f"{self.url}/-/ready",
        )

    def post(self, alertname: str, starts_at: datetime | None = None, **labels: str) -> dict:
        """Post one firing alert as Prometheus does (from now, unless `starts_at`); its
        entry as the API lists it."""
        alert = {
            "labels": {"alertname": alertname, "severity": "error", **labels},
            "startsAt": (starts_at or datetime.now(UTC)).isoformat(),
            "endsAt": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        }
        requests.post(f"{self.url}/api/v2/alerts", json=[alert], timeout=5).raise_for_status()
        return wait_until(lambda: self.listed(alertname), f"{alertname} listed")

    def listed(self, alertname: str, key: str | None = None) -> dict | None:
        alerts = requests.get(f"{self.url}/api/v2/alerts", timeout=5).json()
        for alert in alerts:
            if alert["labels"]["alertname"] == alertname and (key is None or alert["status"][key]):
                return alert
        return None

    def silence(self, alertname: str) -> str:
        body = {
            "matchers": [{"name": "alertname", "value": alertname, "isRegex": False}],
            "startsAt": datetime.now(UTC).isoformat(),
            "endsAt": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            "createdBy": "test",
            "comment": "maintenance",
        }
        response = requests.post(f"{self.url}/api/v2/silences", json=body, timeout=5)
        response.raise_for_status()
        return response.json()["silenceID"]

    def silences(self, state: str | None = "active") -> list[dict]:
        """Its silences (`GET /api/v2/silences`), only those in `state` unless None."""
        listed = requests.get(f"{self.url}/api/v2/silences", timeout=5).json()
        return [s for s in listed if state is None or s["status"]["state"] == state]

    def expire(self, silence_id: str) -> None:
        requests.delete(f"{self.url}/api/v2/silence/{silence_id}", timeout=5).raise_for_status()
