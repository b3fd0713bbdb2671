"""Settings for tests of stack/: the defaults, never this machine's .env or environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stack.settings import REPO, Settings, load


@pytest.fixture
def make_settings(tmp_path):
    def make(**env: str) -> Settings:
        env = {
            "ALERT_BRIDGE_TOKEN": "stack-test-token",
            "ACK_SIGNING_KEY": "stack-test-ack-signing-key-0123456789",
            "STATE_DIR": str(tmp_path / "state"),
            **env,
        }
        return load(env, dotenv=None)

    return make


def run_module(
    module: str, *args: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess:
    """`python -m module args` with only `env` set (plus PATH); the real environment wins over
    any <repo>/.env, so the variables a test sets are the ones used."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def compose_config(project: Path, dotenv: str) -> dict:
    """docker-compose.yml resolved by `docker-compose config` with `dotenv` as its .env."""
    import shutil

    import yaml

    from stack.binaries import require

    project.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "docker-compose.yml", project / "docker-compose.yml")
    (project / ".env").write_text(dotenv)
    result = subprocess.run(
        [require("docker-compose"), "--project-directory", str(project), "config"],
        capture_output=True,
        text=True,
        cwd=project,
        env={"PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def compose_render_env(project: Path, dotenv: str) -> dict[str, str]:
    """The environment compose's `config` service renders with, its state dir moved into
    `project` (the named volume's place)."""
    environment = compose_config(project, dotenv)["services"]["config"]["environment"]
    return {**environment, "STATE_DIR": str(project / "state")}
