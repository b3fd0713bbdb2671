"""Fixtures for the metrics tests: registry deltas, active users, the API under gunicorn."""

from __future__ import annotations

import time

import pytest
from prometheus_client import REGISTRY

from metrics.active_users import KEY, RECORDER
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


def poll(check, timeout: float = 30.0):
    """The first truthy check() within timeout; its last value otherwise (for the message)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


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
