"""Our processes read deploy/base as a pod gives it to them (its ConfigMap, then its
Secrets, as envFrom lists them): they accept it with real secrets, and refuse the
placeholder Secrets at start, naming the variable."""

import os
import secrets
import subprocess
import sys

import pytest

from bridge.config import BridgeConfig, ConfigError
from stack.settings import REPO


def pod_env(by_kind, deployment: str, **overrides: str) -> dict[str, str]:
    """What the container's envFrom gives it: each source in order, later ones winning."""
    [container] = by_kind["Deployment"][deployment]["spec"]["template"]["spec"]["containers"]
    env: dict[str, str] = {}
    for source in container["envFrom"]:
        if "configMapRef" in source:
            env |= by_kind["ConfigMap"][source["configMapRef"]["name"]]["data"]
        else:
            env |= by_kind["Secret"][source["secretRef"]["name"]]["stringData"]
    env |= {item["name"]: item["value"] for item in container.get("env", [])}
    return env | overrides


def real_bridge_secrets() -> dict[str, str]:
    return {
        "ALERT_BRIDGE_TOKEN": secrets.token_urlsafe(24),
        "ACK_SIGNING_KEY": secrets.token_urlsafe(32),
    }


def test_the_bridge_reads_its_pod_environment(by_kind):
    config = BridgeConfig.from_env(pod_env(by_kind, "taskmgr-bridge", **real_bridge_secrets()))
    assert (config.host, config.port) == ("0.0.0.0", 8001)  # noqa: S104 - in a pod
    assert config.redis_url == "redis://redis:6379/0"
    assert config.multiproc_dir is not None  # gunicorn's shared metrics folder


def test_the_worker_reads_its_pod_environment(by_kind):
    env = pod_env(by_kind, "taskmgr-bridge-worker", **real_bridge_secrets())
    config = BridgeConfig.from_env(env)
    assert config.outbox_metrics_port == 8002
    assert config.multiproc_dir is None  # bridge.delivery refuses to start with one


@pytest.mark.parametrize("deployment", ["taskmgr-bridge", "taskmgr-bridge-worker"])
def test_the_bridge_side_refuses_the_placeholder_token(by_kind, deployment):
    with pytest.raises(ConfigError, match="ALERT_BRIDGE_TOKEN"):
        BridgeConfig.from_env(pod_env(by_kind, deployment))


def api_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    # this checkout instead of the image's /app
    env = {**env, "PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "DATABASE_URL": ""}
    code = "from django.conf import settings as s; print(s.ALLOWED_HOSTS, s.REDIS_URL)"
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=REPO / "api", env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_the_api_reads_its_pod_environment(by_kind, tmp_path):
    env = pod_env(
        by_kind, "taskmgr-api",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50), SQLITE_PATH=str(tmp_path / "db.sqlite3"),
    )  # fmt: skip
    result = api_settings(env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['*'] redis://redis:6379/0"


def test_the_api_refuses_the_placeholder_secret_key(by_kind, tmp_path):
    env = pod_env(by_kind, "taskmgr-api", SQLITE_PATH=str(tmp_path / "db.sqlite3"))
    result = api_settings(env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
