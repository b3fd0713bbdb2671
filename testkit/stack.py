"""The whole stack as `make run` starts it, on free ports in a temp dir, for end-to-end tests.

The processes are the Procfile's own lines run through bash with CONFIG_DIR pointing at what
`stack.prepare.prepare()` rendered (each line sources its own `<process>.env` from there) —
the same two steps `make run` takes — so a test that passes here exercises what users run.
Only Slack is a stand-in (testkit/slack.py).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import redis
import requests

from stack.envfiles import env_file, read_env
from stack.prepare import prepare
from stack.procfile import read_procfile
from stack.settings import PROCESSES, REPO
from testkit.ports import free_port
from testkit.processes import ServerProcess
from testkit.slack import FakeSlack

PORT_NAMES = (
    "API_PORT",
    "BRIDGE_PORT",
    "OUTBOX_METRICS_PORT",
    "PROMETHEUS_PORT",
    "ALERTMANAGER_PORT",
    "REDIS_PORT",
    "GRAFANA_PORT",
)
# What the test process has that must not leak into the stack (the suite's own Redis/DB).
LEAKY = ("REDIS_URL", "DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR", "DJANGO_SETTINGS_MODULE")
STAFF = {"username": "oncall", "password": "e2e-Staff-pass-42", "email": "oncall@example.com"}


def _get_ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


class Stack:
    """Start with `start()`, always `stop()` (the fixture does both)."""

    def __init__(self, tmp: Path, slack: FakeSlack, **overrides: str) -> None:
        self.tmp = tmp
        self.slack = slack
        self.ports = {name: free_port() for name in PORT_NAMES}
        base = {k: v for k, v in os.environ.items() if k not in LEAKY}
        base["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}"
        self.environ = {
            **base,
            **{name: str(port) for name, port in self.ports.items()},
            "STATE_DIR": str(tmp / "state"),
            "TIMING_PROFILE": "fast",
            "ALERT_BRIDGE_TOKEN": secrets.token_urlsafe(24),
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "SLACK_WEBHOOK_URL": slack.url,
            "FAULT_INJECTION_ENABLED": "true",
            "GUNICORN_WORKERS": "4",
            "DJANGO_SUPERUSER_USERNAME": STAFF["username"],
            "DJANGO_SUPERUSER_PASSWORD": STAFF["password"],
            "DJANGO_SUPERUSER_EMAIL": STAFF["email"],
            **overrides,
        }
        # every process' variables merged (for tests that need a value: the token, the
        # binaries, CONFIG_DIR); each process itself starts with only its own file
        self.env: dict[str, str] = {}
        self.launch_env: dict[str, str] = {}
        self.api_env: dict[str, str] = {}
        self.processes: dict[str, ServerProcess] = {}
        self.api_url = f"http://127.0.0.1:{self.ports['API_PORT']}"
        self.bridge_url = f"http://127.0.0.1:{self.ports['BRIDGE_PORT']}"
        self.prometheus_url = f"http://127.0.0.1:{self.ports['PROMETHEUS_PORT']}"
        self.alertmanager_url = f"http://127.0.0.1:{self.ports['ALERTMANAGER_PORT']}"
        self._staff_token: str | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, services: tuple[str, ...] = ()) -> Stack:
        config_dir = prepare(self.environ, dotenv=None)
        self.launch_env = {**self.environ, "CONFIG_DIR": str(config_dir)}
        files = {p: read_env(config_dir / env_file(p)) for p in reversed(PROCESSES)}
        self.env = {**self.launch_env, **{k: v for f in files.values() for k, v in f.items()}}
        self.api_env = {**self.launch_env, **files["api"]}
        self._manage("migrate", "--noinput")
        self._manage("ensure_superuser")
        ready = {
            "redis": self._redis_ready,
            "api": lambda: _get_ok(f"{self.api_url}/health"),
            "bridge": lambda: _get_ok(f"{self.bridge_url}/health"),
            "outbox": lambda: _get_ok(f"http://127.0.0.1:{self.ports['OUTBOX_METRICS_PORT']}/"),
            "alertmanager": lambda: _get_ok(f"{self.alertmanager_url}/-/ready"),
            "prometheus": lambda: _get_ok(f"{self.prometheus_url}/-/ready"),
        }
        wanted = services or tuple(ready)
        commands = read_procfile(REPO / "Procfile")
        for name in wanted:
            self.start_process(name, commands[name], ready[name])
        return self

    def start_process(self, name, command, ready) -> ServerProcess:
        proc = ServerProcess(
            name,
            ["bash", "-c", command],
            log_dir=self.tmp,
            env=self.launch_env,
            cwd=REPO,
            ready=ready,
            timeout=60,
        )
        self.processes[name] = proc.start()
        return proc

    def stop(self) -> None:
        for proc in reversed(list(self.processes.values())):
            proc.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {n}\n{p.log_tail(30)}" for n, p in self.processes.items())

    def _manage(self, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO / "api",
            env=self.api_env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")

    def _redis_ready(self) -> bool:
        try:
            return self.redis().ping()
        except redis.RedisError:
            return False

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.api_env["REDIS_URL"], socket_timeout=1)

    # --- talking to it ---------------------------------------------------------------------

    def staff_headers(self) -> dict[str, str]:
        if self._staff_token is None:
            body = {"username": STAFF["username"], "password": STAFF["password"]}
            # a password check is deliberately slow (PBKDF2): seconds on a loaded machine
            resp = requests.post(f"{self.api_url}/api/v1/auth/token/", json=body, timeout=30)
            resp.raise_for_status()
            self._staff_token = resp.json()["token"]
        return {"Authorization": f"Token {self._staff_token}"}

    def alerts(self, **params) -> list[dict]:
        resp = requests.get(
            f"{self.api_url}/api/v1/alerts/",
            params=params,
            headers=self.staff_headers(),
            timeout=5,
        )
        resp.raise_for_status()
        return resp.json()["results"]

    def prometheus_alerts(self, alertname: str) -> list[dict]:
        """Alerts Prometheus holds right now (pending or firing) with that name."""
        resp = requests.get(f"{self.prometheus_url}/api/v1/alerts", timeout=5)
        resp.raise_for_status()
        return [a for a in resp.json()["data"]["alerts"] if a["labels"]["alertname"] == alertname]

    def query(self, promql: str) -> list[dict]:
        resp = requests.get(
            f"{self.prometheus_url}/api/v1/query", params={"query": promql}, timeout=5
        )
        resp.raise_for_status()
        return resp.json()["data"]["result"]
