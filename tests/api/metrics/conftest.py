"""Fixtures for the metrics tests: registry deltas, active users, the API under gunicorn,
and that API scraped by a real Prometheus running the rendered fast-profile rules."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests
from prometheus_client import REGISTRY

from metrics.active_users import KEY, RECORDER
from stack import binaries
from stack.render import render
from stack.settings import Settings, load
from testkit.ports import free_port
from testkit.processes import ServerProcess
from tests.api.servers import ApiServer


def _samples() -> dict[tuple, float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in REGISTRY.collect()
        for s in family.samples
    }


class RegistryDelta:
    """Snapshot the default registry now; `delta(name, **labels)` is the change since."""

    def __init__(self) -> None:
        self.before = _samples()

    def delta(self, name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return _samples().get(key, 0.0) - self.before.get(key, 0.0)

    def changes(self) -> dict[tuple, float]:
        """Every sample that moved: printed by assertions so a failure shows the whole vector."""
        after = _samples()
        return {
            key: value - self.before.get(key, 0.0)
            for key, value in after.items()
            if value != self.before.get(key, 0.0)
        }


@pytest.fixture
def registry_delta() -> RegistryDelta:
    return RegistryDelta()


@pytest.fixture
def active_users(redis_server):
    """No user ids pending in this process and none in Redis; yields the Redis client."""
    RECORDER.flush()
    client = redis_server.client()
    client.delete(KEY)
    return client


# --- the API under real gunicorn ------------------------------------------------------


@pytest.fixture
def api_server(tmp_path, redis_server):
    """Factory: start(workers=4, port=None, args=(), env=None) -> a running ApiServer.

    Every server started is stopped at teardown, whatever happened.
    """
    started: list[ApiServer] = []
    # A Redis database of their own: this test process runs the app too, and its
    # active-user recorder flushes the users of earlier in-process tests into database 0.
    server_db = 1
    redis_server.client(db=server_db).flushdb()
    url = f"redis://127.0.0.1:{redis_server.port}/{server_db}"

    def start(*, workers: int = 4, port=None, args=(), env=None) -> ApiServer:
        tmp = tmp_path / f"api{len(started)}"
        server = ApiServer(tmp, url, workers=workers, port=port, args=args, env=env)
        started.append(server)
        server.process.start()
        return server

    yield start
    for server in started:
        server.process.stop()


@dataclass
class Observed:
    """The API under gunicorn and the Prometheus scraping it every second (fast profile)."""

    api: ApiServer
    prometheus_url: str
    stack: Settings

    def query(self, promql: str) -> list[dict]:
        answer = requests.get(
            f"{self.prometheus_url}/api/v1/query", params={"query": promql}, timeout=5
        )
        answer.raise_for_status()
        return answer.json()["data"]["result"]

    def value(self, promql: str) -> float | None:
        """The single value of an instant query, None when it has no result."""
        result = self.query(promql)
        assert len(result) <= 1, result
        return float(result[0]["value"][1]) if result else None


@pytest.fixture
def observed_api(api_server, tmp_path):
    """Factory: start(api_env=None) -> Observed, with the API started first (so Prometheus'
    first scrapes find it) and Prometheus stopped after the test."""
    started: list[ServerProcess] = []

    def start(api_env: dict[str, str] | None = None) -> Observed:
        prometheus_port, api_port = free_port(), free_port()
        prometheus_url = f"http://127.0.0.1:{prometheus_port}"
        stack = load(
            {},
            dotenv=None,
            overrides={
                "TIMING_PROFILE": "fast",
                "STATE_DIR": str(tmp_path / "state"),
                "ALERT_BRIDGE_TOKEN": "t" * 32,
                "ACK_SIGNING_KEY": "k" * 32,
                "API_PORT": str(api_port),
                "PROMETHEUS_PORT": str(prometheus_port),
            },
        )
        config = render(stack, tmp_path / "config")
        env = {
            "PROMETHEUS_URLS": prometheus_url,
            "SUMMARY_WINDOW_LABEL": stack.window_label,
            "SLO_RULE_WINDOW": stack.slo_rule_window,
            "FAULT_INJECTION_ENABLED": "true",
            **(api_env or {}),
        }
        api = api_server(workers=2, port=api_port, env=env)
        argv = [
            binaries.require("prometheus"),
            f"--config.file={config / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
        ]
        prometheus = ServerProcess(
            "prometheus",
            argv,
            log_dir=tmp_path,
            ready_url=f"{prometheus_url}/-/ready",
            timeout=60,
        )
        started.append(prometheus)
        prometheus.start()
        return Observed(api, prometheus_url, stack)

    yield start
    for process in started:
        process.stop()
