"""Rendered Alertmanager configuration for each timing profile."""

from pathlib import Path

import pytest

from stack.profiles import PROFILES
from stack.render import render
from stack.settings import Settings, load

BRIDGE_TOKEN = "alertmanager-test-token"


def stack_settings(tmp_path: Path, **env: str) -> Settings:
    """Default settings (not this machine's .env) plus `env`."""
    return load(
        {
            "ALERT_BRIDGE_TOKEN": BRIDGE_TOKEN,
            "ACK_SIGNING_KEY": "alertmanager-test-ack-signing-key-0123",
            "STATE_DIR": str(tmp_path),
            **env,
        },
        dotenv=None,
    )


@pytest.fixture(params=list(PROFILES))
def rendered(request, tmp_path) -> Path:
    return render(stack_settings(tmp_path, TIMING_PROFILE=request.param), tmp_path / "config")
