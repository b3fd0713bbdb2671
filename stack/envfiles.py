"""One environment file per process, written beside prometheus.yml by stack.render.

Each file holds the variables stack/settings/table.py addresses to that process, plus what
only that process needs (its state folder, its multiprocess metrics folder, the import
path). Files are POSIX shell: every Procfile line (and every compose service) starts with
`set -a; . "$CONFIG_DIR/<process>.env"; set +a`, so `make run`, compose, the end-to-end
tests and the benchmarks all start their processes from the same values.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from stack import binaries
from stack.settings import PROCESSES, REPO, VARIABLES, Settings, load
from stack.settings.table import (
    ALERTMANAGER,
    API,
    BRIDGE,
    GRAFANA,
    PROMETHEUS,
    REDIS,
    WORKER,
)

METRICS_TOKEN_FILE = "metrics_token"  # noqa: S105 - a file name, not a secret


def env_file(process: str) -> str:
    return f"{process}.env"


def shared_env(settings: Settings, process: str) -> dict[str, str]:
    """The table's variables for `process`, as it reads them."""
    if process not in PROCESSES:
        raise ValueError(f"unknown process {process!r} (one of {', '.join(PROCESSES)})")
    return {
        variable.name: settings.text[variable.name]
        for variable in VARIABLES
        if process in variable.to and variable.name in settings.text
    }


def process_env(settings: Settings, process: str) -> dict[str, str]:
    """Everything `process` is started with: shared variables plus its own paths."""
    return {**shared_env(settings, process), **_local(settings, process)}


def defaults(process: str) -> dict[str, str]:
    """The shared variables `process` would get from an empty environment (the stack's
    defaults), for code that runs without an env file, such as the API under pytest."""
    return shared_env(load({}, dotenv=None, require_token=False), process)


def format_env(env: dict[str, str]) -> str:
    lines = [f"{name}={shlex.quote(value)}" for name, value in env.items()]
    return "# written by stack.render; do not edit\n" + "\n".join(lines) + "\n"


def read_env(path: Path) -> dict[str, str]:
    """An env file read back as the shell sees it (for tests and harnesses)."""
    env = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            [assignment] = shlex.split(line)
            name, _, value = assignment.partition("=")
            env[name] = value
    return env


def render_files(settings: Settings) -> dict[str, str]:
    """Rendered file name → text, one per process."""
    return {env_file(p): format_env(process_env(settings, p)) for p in PROCESSES}


def _local(settings: Settings, process: str) -> dict[str, str]:
    state = settings.state_dir
    metrics = Path(settings.text.get("METRICS_DIR", state / "multiproc"))
    python = {"PYTHONPATH": str(REPO)}  # alertstore/ and stack/ live at the repo root
    # Not PROMETHEUS_MULTIPROC_DIR itself: only the gunicorn line sets it (to
    # $METRICS_DIR/<process>); manage.py and other one-off commands run without it.
    if process == API:
        return {
            **python,
            "SQLITE_PATH": settings.text.get("SQLITE_PATH", str(state / "db.sqlite3")),
            "METRICS_DIR": str(metrics),
        }
    if process == BRIDGE:
        return {**python, "METRICS_DIR": str(metrics)}
    if process == WORKER:
        return python
    if process == PROMETHEUS:
        return {"PROMETHEUS_STORAGE_DIR": str(state / "prometheus")}
    if process == ALERTMANAGER:
        return {
            "ALERTMANAGER_BIN": binaries.find("alertmanager") or "",
            "ALERTMANAGER_STORAGE_DIR": str(state / "alertmanager"),
        }
    if process == REDIS:
        return {"REDIS_DIR": str(state / "redis")}
    if process == GRAFANA:
        return {
            "GRAFANA_BIN": shutil.which("grafana-server") or shutil.which("grafana") or "",
            "GRAFANA_HOME": settings.text.get("GRAFANA_HOME", "/usr/share/grafana"),
            "GF_SERVER_HTTP_PORT": str(settings.grafana_port),
            "GF_PATHS_DATA": str(state / "grafana"),
            "GF_PATHS_PROVISIONING": str(REPO / "grafana" / "provisioning"),
            "GRAFANA_DASHBOARDS_DIR": str(REPO / "grafana" / "dashboards"),
        }
    return {}
