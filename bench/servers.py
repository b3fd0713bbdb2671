"""Real servers for the benchmarks: the API and the alert bridge under gunicorn, and a
recording webhook stand-in for reference pipelines.

The API and the bridge run exactly as the Procfile starts them (`gunicorn -c
gunicorn.conf.py ...` in its own folder) on a free port, with what the stack's `api.env` /
`bridge.env` would hold (stack/envfiles.py) and their files in the benchmark's temp dir,
through the tests' ServerProcess (waits until ready, always stopped, log tail on failure).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench import API_DIR, BRIDGE_DIR, REPO
from stack.envfiles import shared_env
from stack.settings import load
from testkit.ports import free_port
from testkit.processes import ServerProcess
from testkit.stack import LEAKY

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
# Throttling stays on the request path (one Redis round trip) but never refuses a benchmark.
UNTHROTTLED = "100000000/min"


@dataclass
class Server:
    url: str
    process: ServerProcess


def base_env() -> dict[str, str]:
    """This environment minus what belongs to the caller (its Redis, DB, metrics dir)."""
    env = {k: v for k, v in os.environ.items() if k not in LEAKY}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def stack_env(process: str, token: str | None = None) -> dict[str, str]:
    """The shared values the stack's `<process>.env` holds by default (one definition)."""
    overrides = (
        {"ALERT_BRIDGE_TOKEN": token, "ACK_SIGNING_KEY": secrets.token_urlsafe(32)} if token else {}
    )
    return shared_env(load(overrides, dotenv=None, require_token=False), process)


def api_env(*, sqlite_path: Path, redis_url: str, metrics: str = "ours") -> dict[str, str]:
    return {
        **base_env(),
        **stack_env("api"),
        "DJANGO_SETTINGS_MODULE": "bench.django_settings",
        "BENCH_METRICS": metrics,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(API_DIR)]),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "SQLITE_PATH": str(sqlite_path),
        "REDIS_URL": redis_url,
        "THROTTLE_USER_RATE": UNTHROTTLED,
        "THROTTLE_ANON_RATE": UNTHROTTLED,
    }


def seed_database(tmp: Path, redis_url: str) -> tuple[Path, str]:
    """A migrated SQLite database with the bench user and its tasks; (path, token)."""
    path = tmp / "seed.sqlite3"
    done = subprocess.run(
        [sys.executable, "-m", "bench.seed"],
        env=api_env(sqlite_path=path, redis_url=redis_url),
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.seed failed:\n{done.stderr[-2000:]}")
    return path, done.stdout.strip().splitlines()[-1]


def api_server(
    tmp: Path,
    name: str,
    *,
    database: Path,
    redis_url: str,
    metrics: str = "ours",
    workers: int = 2,
) -> Server:
    """The API on its own copy of `database`, with its own multiprocess metrics folder."""
    folder = tmp / name
    folder.mkdir()
    sqlite_path = folder / "db.sqlite3"
    shutil.copyfile(database, sqlite_path)
    port = free_port()
    env = {
        **api_env(sqlite_path=sqlite_path, redis_url=redis_url, metrics=metrics),
        "API_PORT": str(port),
        "GUNICORN_WORKERS": str(workers),
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "multiproc"),
    }
    url = f"http://127.0.0.1:{port}"
    argv = [GUNICORN, "-c", "gunicorn.conf.py", "taskmgr.wsgi"]
    process = ServerProcess(
        f"api-{name}", argv, log_dir=folder, env=env, cwd=API_DIR, ready_url=f"{url}/health"
    )
    return Server(url, process)


def bridge_server(tmp: Path, *, redis_url: str, token: str, workers: int | None = None) -> Server:
    """The bridge's web app (its gunicorn.conf.py: 2 workers unless `workers` says); no
    Slack: history only."""
    port = free_port()
    env = {
        **base_env(),
        **stack_env("bridge", token),
        "REDIS_URL": redis_url,
        "BRIDGE_PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "bridge-multiproc"),
    }
    env.pop("SLACK_WEBHOOK_URL", None)
    url = f"http://127.0.0.1:{port}"
    argv = [GUNICORN, "-c", "gunicorn.conf.py", *(["-w", str(workers)] if workers else [])]
    argv.append("bridge:create_app()")
    process = ServerProcess(
        "bridge", argv, log_dir=tmp, env=env, cwd=BRIDGE_DIR, ready_url=f"{url}/health"
    )
    return Server(url, process)


class Recorder:
    """A webhook stand-in that answers every POST 200 and keeps (arrival time, JSON body):
    the receiving end of a reference pipeline, where Slack's validation has no place."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._posts: list[tuple[float, Any]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with recorder._lock:
                    recorder._posts.append((arrived, json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def posts(self) -> list[tuple[float, Any]]:
        with self._lock:
            return list(self._posts)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
