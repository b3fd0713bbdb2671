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
