"""The API as a real process: its environment, manage.py, and gunicorn on a free port."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from testkit.exposition import Samples, scrape
from testkit.ports import free_port
from testkit.processes import ServerProcess

API_DIR = Path(__file__).resolve().parents[2] / "api"


def api_env(tmp_path: Path, **overrides: str | None) -> dict[str, str | None]:
    """A production-like environment for an API process: SQLite in tmp_path, test Redis."""
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": "",  # never the suite's PostgreSQL: each server has its own SQLite
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        # unset, not empty: prometheus_client treats an empty value as "the current directory"
        "PROMETHEUS_MULTIPROC_DIR": None,
        **overrides,
    }


def manage(env: dict[str, str | None], *args: str) -> subprocess.CompletedProcess:
    """Run `manage.py <args>` with `env` on top of this process's (None removes a variable)."""
    merged = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=API_DIR,
        env={name: value for name, value in merged.items() if value is not None},
        capture_output=True,
        text=True,
        timeout=120,
    )


class ApiServer:
    """One gunicorn API on a free port with its own database and multiprocess folder."""

    def __init__(self, tmp: Path, redis_url: str, *, workers: int, port=None, args=(), env=None):
        tmp.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.multiproc_dir = tmp / "multiproc"
        self.multiproc_dir.mkdir(exist_ok=True)
        defaults = {
            "REDIS_URL": redis_url,
            "PROMETHEUS_MULTIPROC_DIR": str(self.multiproc_dir),
            "API_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": str(workers),
            "THROTTLE_ANON_RATE": "100000/min",
            "THROTTLE_USER_RATE": "100000/min",
        }
        self.env = api_env(tmp, **{**defaults, **(env or {})})
        migrated = manage(self.env, "migrate", "--noinput")
        assert migrated.returncode == 0, migrated.stderr
        self.process = ServerProcess(
            f"api-{self.port}",
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *args, "taskmgr.wsgi"],
            log_dir=tmp,
            env={k: v for k, v in self.env.items() if v is not None},
            cwd=API_DIR,
            ready_url=f"{self.url}/health",
            timeout=60,
        )

    def metrics(self) -> Samples:
        """One scrape of /metrics: {(sample name, sorted labels): value}."""
        return scrape(f"{self.url}/metrics")

    def worker_pids(self) -> set[int]:
        """Live gunicorn workers: children of the master."""
        return self.process.children()
