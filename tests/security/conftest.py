"""Hostile-input and security fixtures: the API and the bridge as production runs them
(gunicorn on free ports, temp dirs), over the session's private Redis."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from testkit.ports import free_port
from testkit.processes import ServerProcess
from tests.api.servers import ApiServer, manage
from tests.bridge.conftest import BRIDGE_DIR, TOKEN, bridge_env
from tests.bridge.conftest import start_worker as start_worker  # the fixture, shared
from tests.support.redis_plugin import session_redis

USER_PASSWORD = "Sturdy-pass-42"
STAFF = {"username": "operator", "password": "Op-erator-pass-42", "email": "op@example.com"}
# What a TLS-terminating proxy adds; ignored unless DJANGO_SECURE_HTTPS trusts it, so the
# helpers below work against plain and HTTPS-configured servers alike.
PROXY_HTTPS = {"X-Forwarded-Proto": "https"}
BRIDGE_GUNICORN = [
    sys.executable,
    "-m",
    "gunicorn",
    "-c",
    "gunicorn.conf.py",
    "bridge:create_app()",
]


@dataclass
class LiveApi:
    server: ApiServer
    staff_token: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def staff_headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.staff_token}"}

    def register(self, username: str) -> str:
        """A new ordinary user's token."""
        body = {"username": username, "email": f"{username}@example.com", "password": USER_PASSWORD}
        resp = requests.post(
            f"{self.url}/api/v1/auth/register/", json=body, headers=PROXY_HTTPS, timeout=10
        )
        assert resp.status_code == 201, resp.text
        return resp.json()["token"]

    def log(self) -> str:
        return self.server.process.log_path.read_text(errors="replace")


def start_api(tmp: Path, **env: str) -> LiveApi:
    """A gunicorn API with an operator (staff) account; stop it with `.server.process.stop()`."""
    env = {
        "DJANGO_SUPERUSER_USERNAME": STAFF["username"],
        "DJANGO_SUPERUSER_PASSWORD": STAFF["password"],
        "DJANGO_SUPERUSER_EMAIL": STAFF["email"],
        **env,
    }
    server = ApiServer(tmp, session_redis().url, workers=2, env=env)
    created = manage(server.env, "ensure_superuser")
    assert created.returncode == 0, created.stderr
    server.process.start()
    login = {"username": STAFF["username"], "password": STAFF["password"]}
    resp = requests.post(
        f"{server.url}/api/v1/auth/token/", json=login, headers=PROXY_HTTPS, timeout=10
    )
    if resp.status_code != 200:
        server.process.stop()
        raise AssertionError(f"operator login failed: {resp.status_code} {resp.text}")
    return LiveApi(server, resp.json()["token"])


def start_bridge(tmp: Path, **env: str) -> ServerProcess:
    """The bridge under gunicorn on a free port; `.url` is its base URL."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = ServerProcess(
        f"bridge-{port}",
        BRIDGE_GUNICORN,
        log_dir=tmp,
        cwd=BRIDGE_DIR,
        env=bridge_env(
            session_redis().url,
            BRIDGE_PORT=str(port),
            PROMETHEUS_MULTIPROC_DIR=str(tmp / "multiproc"),
            **env,
        ),
        ready_url=f"http://127.0.0.1:{port}/health",
    )
    process.url = f"http://127.0.0.1:{port}"
    return process.start()


@pytest.fixture(scope="module")
def live_api(tmp_path_factory) -> Iterator[LiveApi]:
    """One API per test module (starting gunicorn per test would dominate the run). pytest
    runs the line after `yield` at teardown whatever the tests did: no try/finally needed."""
    api = start_api(tmp_path_factory.mktemp("api"))
    yield api
    api.server.process.stop()


@pytest.fixture(scope="module")
def live_bridge(tmp_path_factory) -> Iterator[ServerProcess]:
    bridge = start_bridge(tmp_path_factory.mktemp("bridge"))
    yield bridge
    bridge.stop()


def bridge_auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
