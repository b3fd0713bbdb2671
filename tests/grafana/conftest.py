"""Fixtures for the Grafana tests: the rules as Prometheus runs them, rendered with defaults."""

from pathlib import Path

import pytest
import yaml

from stack.render import render
from stack.settings import load


@pytest.fixture(scope="session")
def rendered_rules(tmp_path_factory) -> list[dict]:
    """Every rule of the fast-profile render with default settings (no .env, no env vars)
    and a Grafana configured: the alerts carry a dashboard link only when GRAFANA_URL is set."""
    state = tmp_path_factory.mktemp("grafana-state")
    settings = load(
        {
            "ALERT_BRIDGE_TOKEN": "grafana-test-token",
            "ACK_SIGNING_KEY": "grafana-test-ack-signing-key-0123456789",
            "STATE_DIR": str(state),
            "GRAFANA_URL": "http://grafana.test:3000",
        },
        dotenv=None,
        overrides={"TIMING_PROFILE": "fast"},
    )
    out = render(settings, state / "config")
    return [
        rule
        for path in sorted(Path(out, "rules").glob("*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]
