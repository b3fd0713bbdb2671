"""`make run`'s preflight: secrets, rendered config, state folders, and the process environment.

    python -m stack.prepare [--quiet]

writes `$STATE_DIR/run.env`, the environment every Procfile line runs in (the Makefile
sources it before starting honcho), renders the Prometheus/Alertmanager config into
`$STATE_DIR/config`, and prints where each UI will be. The end-to-end tests call
`prepare()` the same way, so they run what `make run` runs.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from stack import binaries, bootstrap
from stack.render import RenderError, render
from stack.settings import (
    DOTENV,
    REPO,
    Settings,
    SettingsError,
    environment,
    load,
    parse_dotenv,
    state_dir_from,
)

RUN_ENV = "run.env"
STATE_FOLDERS = ("redis", "prometheus", "alertmanager", "grafana", "multiproc")


def process_environment(settings: Settings, env: Mapping[str, str], config_dir: Path) -> dict:
    """The variables the Procfile's processes need, derived from the settings."""
    state = settings.state_dir
    alertmanager_url = f"http://{settings.alertmanager_host}:{settings.alertmanager_port}"
    grafana = shutil.which("grafana-server") or shutil.which("grafana") or ""
    return {
        "STATE_DIR": str(state),
        # alertstore/ (used by the API and the bridge) lives at the repo root
        "PYTHONPATH": str(REPO),
        "CONFIG_DIR": str(config_dir),
        "API_PORT": str(settings.api_port),
        "BRIDGE_PORT": str(settings.bridge_port),
        "OUTBOX_METRICS_PORT": str(settings.outbox_metrics_port),
        "PROMETHEUS_HOST": settings.prometheus_host,
        "PROMETHEUS_PORT": str(settings.prometheus_port),
        "ALERTMANAGER_HOST": settings.alertmanager_host,
        "ALERTMANAGER_PORT": str(settings.alertmanager_port),
        "REDIS_PORT": str(settings.redis_port),
        "REDIS_URL": settings.redis_url,
        "PROMETHEUS_URL": settings.prometheus_url,
        "ALERTMANAGER_URL": alertmanager_url,
        "GRAFANA_URL": settings.grafana_url,
        # links in Slack messages
        "PROMETHEUS_EXTERNAL_URL": settings.prometheus_url,
        "ALERTMANAGER_EXTERNAL_URL": alertmanager_url,
        "ALERT_BRIDGE_TOKEN": settings.bridge_token,
        "ALERT_COOLDOWN_SECONDS": str(settings.alert_cooldown_seconds),
        "DJANGO_SECRET_KEY": bootstrap.secret_key(env, state),
        "SQLITE_PATH": env.get("SQLITE_PATH", str(state / "db.sqlite3")),
        "ALERTMANAGER_BIN": binaries.find("alertmanager") or "",
        "GRAFANA_BIN": grafana,
        "GRAFANA_HOME": env.get("GRAFANA_HOME", "/usr/share/grafana"),
        "GF_SERVER_HTTP_PORT": str(settings.grafana_port),
        "GF_PATHS_DATA": str(state / "grafana"),
        "GF_PATHS_PROVISIONING": str(REPO / "grafana" / "provisioning"),
        "GRAFANA_DASHBOARDS_DIR": str(REPO / "grafana" / "dashboards"),
    }


def prepare(environ: Mapping[str, str] | None = None, *, dotenv: Path | None = DOTENV) -> dict:
    """Render config and state folders; return the full environment for the processes.

    `.env` values fill in what the real environment leaves unset; the computed values come
    last. Raises SettingsError/RenderError with a message naming what is wrong.
    """
    env = environment(environ, dotenv=dotenv)
    bootstrap.ensure_bridge_token(env, state_dir_from(env))
    settings = load(environ, dotenv=dotenv)
    for folder in STATE_FOLDERS:
        (settings.state_dir / folder).mkdir(parents=True, exist_ok=True)
    config_dir = render(settings, settings.state_dir / "config")
    rendered = parse_dotenv(config_dir / "stack.env")
    from_dotenv = parse_dotenv(dotenv) if dotenv is not None and dotenv.is_file() else {}
    run_env = {**from_dotenv, **rendered, **process_environment(settings, env, config_dir)}
    lines = [f"{name}={shlex.quote(value)}" for name, value in sorted(run_env.items())]
    path = settings.state_dir / RUN_ENV
    path.write_text(
        "# written by `python -m stack.prepare`; do not edit\n" + "\n".join(lines) + "\n"
    )
    path.chmod(0o600)  # it holds the secrets
    return run_env


def main(argv: list[str] | None = None) -> int:
    quiet = "--quiet" in (sys.argv[1:] if argv is None else argv)
    try:
        run_env = prepare()
    except (SettingsError, RenderError) as exc:
        print(f"stack.prepare: {exc}", file=sys.stderr)
        return 2
    if quiet:
        return 0
    urls = [
        ("API", f"http://127.0.0.1:{run_env['API_PORT']}/api/v1/docs/"),
        ("Alert bridge", f"http://127.0.0.1:{run_env['BRIDGE_PORT']}/health"),
        ("Prometheus", run_env["PROMETHEUS_URL"]),
        ("Alertmanager", run_env["ALERTMANAGER_URL"]),
        ("Grafana", run_env["GRAFANA_URL"] if run_env["GRAFANA_BIN"] else "not installed"),
    ]
    print("taskmgr is starting (Ctrl-C stops everything):")
    for name, url in urls:
        print(f"  {name:<13} {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
