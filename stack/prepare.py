"""`make run`'s preflight: secrets, state folders, and the rendered config with one
environment file per process.

    python -m stack.prepare [--quiet]

renders the Prometheus/Alertmanager config and `<process>.env` files into
`$STATE_DIR/config` (each Procfile line sources its own file), creates the state folders,
and prints where each UI will be. The end-to-end tests call `prepare()` the same way, so
they run what `make run` runs.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from stack import bootstrap, envfiles
from stack.render import RenderError, render
from stack.settings import DOTENV, SettingsError, environment, load, state_dir_from

STATE_FOLDERS = ("redis", "prometheus", "alertmanager", "grafana", "multiproc")


def prepare(environ: Mapping[str, str] | None = None, *, dotenv: Path | None = DOTENV) -> Path:
    """Generate missing secrets, make the state folders, render; return the config dir.

    Raises SettingsError/RenderError with a message naming what is wrong.
    """
    env = environment(environ, dotenv=dotenv)
    state_dir = state_dir_from(env)
    bootstrap.ensure_bridge_token(env, state_dir)  # load() reads both back from STATE_DIR
    bootstrap.ensure_ack_signing_key(env, state_dir)
    secret_key = bootstrap.secret_key(env, state_dir)
    settings = load(environ, dotenv=dotenv, overrides={"DJANGO_SECRET_KEY": secret_key})
    for folder in STATE_FOLDERS:
        (settings.state_dir / folder).mkdir(parents=True, exist_ok=True)
    return render(settings, settings.state_dir / "config")


def main(argv: list[str] | None = None) -> int:
    quiet = "--quiet" in (sys.argv[1:] if argv is None else argv)
    try:
        config_dir = prepare()
    except (SettingsError, RenderError) as exc:
        print(f"stack.prepare: {exc}", file=sys.stderr)
        return 2
    if quiet:
        return 0
    env = {}
    for process in ("api", "bridge", "prometheus", "alertmanager", "grafana"):
        env.update(envfiles.read_env(config_dir / envfiles.env_file(process)))
    urls = [
        ("API", f"http://127.0.0.1:{env['API_PORT']}/api/v1/docs/"),
        ("Alert bridge", f"http://127.0.0.1:{env['BRIDGE_PORT']}/health"),
        ("Prometheus", env["PROMETHEUS_EXTERNAL_URL"]),
        ("Alertmanager", _alertmanager(env)),
        ("Grafana", _grafana(env)),
        ("Runbook", f"http://127.0.0.1:{env['BRIDGE_PORT']}/runbook"),
    ]
    print("taskmgr is starting (Ctrl-C stops everything):")
    for name, url in urls:
        print(f"  {name:<13} {url}")
    return 0


def _alertmanager(env: dict[str, str]) -> str:
    url = env["ALERTMANAGER_EXTERNAL_URL"]
    if env["ALERTMANAGER_UI"] == "true":
        return url
    return f"{url}/api/v2/alerts (its API; this Alertmanager has no web UI)"


def _grafana(env: dict[str, str]) -> str:
    if not env["GRAFANA_BIN"]:
        return "not installed"
    if env["GRAFANA_URL"]:
        return env["GRAFANA_URL"]
    return f"http://127.0.0.1:{env['GRAFANA_PORT']} (set GRAFANA_URL to link alerts to it)"


if __name__ == "__main__":
    sys.exit(main())
