"""docker-compose.yml, checked statically (no Docker engine here) with `docker-compose config`.

What compose must guarantee: the same services as the Procfile plus Grafana, health checks
and `depends_on` conditions so nothing starts against a dependency that isn't ready, named
volumes for every piece of state, Redis with append-only persistence, Prometheus and
Alertmanager on the config the shared renderer wrote, and slim non-root images.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from stack.binaries import require
from stack.envfiles import read_env
from stack.procfile import read_procfile
from stack.render import render
from stack.settings import REPO, load
from tests.stack.conftest import compose_config, compose_render_env

COMPOSE = require("docker-compose")  # Debian's package; `make test` installs it
LONG_RUNNING = {"api", "alert-bridge", "outbox", "redis", "prometheus", "alertmanager", "grafana"}
ONE_OFF = {"config", "migrate"}


@pytest.fixture(scope="module")
def compose(tmp_path_factory) -> dict:
    """The resolved compose file, as `docker-compose config` prints it, with a minimal .env."""
    project = tmp_path_factory.mktemp("compose")
    shutil.copy(REPO / "docker-compose.yml", project / "docker-compose.yml")
    (project / ".env").write_text(
        f"DJANGO_SECRET_KEY=x\nALERT_BRIDGE_TOKEN={'y' * 16}\nACK_SIGNING_KEY={'a' * 32}\n"
    )
    result = subprocess.run(
        [
            COMPOSE,
            "--project-directory",
            str(project),
            "-f",
            str(project / "docker-compose.yml"),
            "config",
        ],
        capture_output=True,
        text=True,
        cwd=project,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_the_services_are_the_procfiles_plus_grafana_and_one_off_steps(compose):
    procfile = set(read_procfile(REPO / "Procfile")) - {"bridge"} | {"alert-bridge"}
    assert set(compose["services"]) == LONG_RUNNING | ONE_OFF
    assert procfile <= LONG_RUNNING


def test_every_long_running_service_has_a_health_check(compose):
    dockerfile_checked = {
        "api": REPO / "api" / "Dockerfile",
        "alert-bridge": REPO / "alert-bridge" / "Dockerfile",
    }
    for name in LONG_RUNNING:
        service = compose["services"][name]
        if name in dockerfile_checked:
            assert "HEALTHCHECK" in dockerfile_checked[name].read_text(), name
        else:
            assert service.get("healthcheck", {}).get("test"), name


def test_dependencies_wait_for_health_or_completion(compose):
    for name, service in compose["services"].items():
        for dependency, rule in service.get("depends_on", {}).items():
            expected = (
                "service_completed_successfully" if dependency in ONE_OFF else "service_healthy"
            )
            assert rule["condition"] == expected, f"{name} → {dependency}"
    assert "redis" in compose["services"]["api"]["depends_on"]
    assert "migrate" in compose["services"]["api"]["depends_on"]
    assert "alert-bridge" in compose["services"]["alertmanager"]["depends_on"]


def test_state_lives_in_named_volumes_and_redis_is_append_only(compose):
    named = set(compose["volumes"])
    assert {"redis-data", "prometheus-data", "alertmanager-data", "api-data"} <= named
    redis = compose["services"]["redis"]
    assert "--appendonly" in redis["command"]
    assert redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert any(str(v).startswith("redis-data:") for v in redis["volumes"])


def test_prometheus_and_alertmanager_run_on_the_shared_renderers_output(compose):
    config = compose["services"]["config"]
    assert "stack.render --out /config/rendered" in " ".join(config["command"])
    for name, file in [("prometheus", "prometheus.yml"), ("alertmanager", "alertmanager.yml")]:
        service = compose["services"][name]
        assert f"--config.file=/config/rendered/{file}" in " ".join(service["command"])
        assert service["depends_on"]["config"]["condition"] == "service_completed_successfully"
    assert '--rules.alert.resend-delay="$$ALERT_RESEND_DELAY"' in " ".join(
        compose["services"]["prometheus"]["command"]
    )


# compose service → the env file it sources (the Procfile's process of the same name)
SOURCES = {
    "migrate": "api",
    "api": "api",
    "alert-bridge": "bridge",
    "outbox": "worker",
    "prometheus": "prometheus",
    "alertmanager": "alertmanager",
}


def test_each_service_of_ours_starts_from_its_rendered_env_file(compose):
    for name, process in SOURCES.items():
        service = compose["services"][name]
        command = service["command"][-1]  # after `sh -c` (or the entrypoint's)
        assert command.startswith(f"set -a; . /config/rendered/{process}.env; set +a;"), name
        assert "config:/config:ro" in service["volumes"], name
        assert "environment" not in service and "env_file" not in service, name


def test_the_api_in_compose_gets_the_fast_profiles_window(tmp_path):
    """With TIMING_PROFILE=fast in .env, the api service's file says the rules' window."""
    dotenv = (
        f"DJANGO_SECRET_KEY={'k' * 50}\nALERT_BRIDGE_TOKEN={'t' * 20}\n"
        f"ACK_SIGNING_KEY={'a' * 32}\nTIMING_PROFILE=fast\n"
    )
    config = compose_config(tmp_path / "project", dotenv)["services"]["config"]
    assert config["environment"]["TIMING_PROFILE"] == "fast"
    env = compose_render_env(tmp_path / "project", dotenv)
    out_dir = render(load(env, dotenv=None), tmp_path / "rendered")
    api = read_env(out_dir / "api.env")
    assert api["SUMMARY_WINDOW_LABEL"] == "15 seconds"
    assert api["REDIS_URL"] == "redis://redis:6379/0"
    assert api["PROMETHEUS_URL"] == "http://prometheus:9090"
    assert api["SQLITE_PATH"] == "/data/db.sqlite3"
    # Acknowledge links open the published port, not the 0.0.0.0 the bridge listens on
    assert read_env(out_dir / "bridge.env")["BRIDGE_EXTERNAL_URL"] == "http://localhost:8001"


def test_the_secrets_are_required_not_defaulted(tmp_path):
    (tmp_path / "docker-compose.yml").write_text((REPO / "docker-compose.yml").read_text())
    (tmp_path / ".env").write_text("")

    def config():
        return subprocess.run(
            [COMPOSE, "config"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin"},
        )

    result = config()
    assert result.returncode != 0
    assert "ALERT_BRIDGE_TOKEN" in result.stderr
    # the signing key of the Acknowledge links too, and the links point at the published port
    (tmp_path / ".env").write_text(f"DJANGO_SECRET_KEY=x\nALERT_BRIDGE_TOKEN={'y' * 16}\n")
    result = config()
    assert result.returncode != 0
    assert "set ACK_SIGNING_KEY in .env" in result.stderr


@pytest.mark.parametrize("dockerfile", ["api/Dockerfile", "alert-bridge/Dockerfile"])
def test_images_are_slim_and_run_as_a_non_root_user(dockerfile):
    lines = (REPO / dockerfile).read_text().splitlines()
    assert lines[[ln.startswith("FROM") for ln in lines].index(True)].endswith("-slim")
    users = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")


def test_composes_links_point_at_its_published_uis(tmp_path):
    """With the official images (web UIs) and Grafana: Slack messages link to Grafana and to a
    silence, and every alert's runbook link is the bridge's /runbook on its published port."""
    dotenv = (
        f"DJANGO_SECRET_KEY={'k' * 50}\nALERT_BRIDGE_TOKEN={'t' * 20}\nACK_SIGNING_KEY={'a' * 32}\n"
    )
    services = compose_config(tmp_path / "project", dotenv)["services"]
    env = compose_render_env(tmp_path / "project", dotenv)
    out_dir = render(load(env, dotenv=None), tmp_path / "rendered")
    bridge = read_env(out_dir / "bridge.env")

    published = {
        name: {str(p["target"]): str(p["published"]) for p in services[name]["ports"]}
        for name in ("alert-bridge", "grafana", "prometheus", "alertmanager")
    }
    assert bridge["ALERTMANAGER_UI"] == "true"
    assert bridge["GRAFANA_URL"] == f"http://localhost:{published['grafana']['3000']}"
    assert bridge["PROMETHEUS_EXTERNAL_URL"] == (
        f"http://localhost:{published['prometheus']['9090']}"
    )
    assert bridge["ALERTMANAGER_EXTERNAL_URL"] == (
        f"http://localhost:{published['alertmanager']['9093']}"
    )
    rules = yaml.safe_load((out_dir / "rules" / "taskmgr.yml").read_text())["groups"][0]["rules"]
    runbook = f"http://localhost:{published['alert-bridge']['8001']}/runbook"
    for rule in (r for r in rules if "alert" in r):
        assert rule["annotations"]["runbook_url"] == f"{runbook}#{rule['alert'].lower()}"
        dashboard = rule["annotations"].get("dashboard_url")
        assert dashboard in (None, f"{bridge['GRAFANA_URL']}/d/taskmgr/taskmgr"), rule["alert"]
    (error_rate,) = [r for r in rules if r.get("alert") == "HighErrorRate"]
    assert error_rate["annotations"]["dashboard_url"].startswith(bridge["GRAFANA_URL"])


def test_the_bridge_image_ships_the_runbook_it_serves():
    lines = (REPO / "alert-bridge/Dockerfile").read_text().splitlines()
    assert "COPY docs/runbook.md docs/runbook.md" in lines  # /app/docs/runbook.md
    assert "WORKDIR /app" in lines
