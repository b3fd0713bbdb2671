"""Fixtures for the fault and HA tests: a subset of the real stack, plus extra processes."""

from collections.abc import Callable

import pytest

from testkit.stack import Stack

# Short delivery timings so "Slack down for minutes" fits in one test; a long cooldown so
# no reminder (Alertmanager's repeat) is due while a test runs.
FAST_DELIVERY = {
    "SLACK_TIMEOUT_SECONDS": "2",
    "DELIVERY_MAX_BACKOFF_SECONDS": "2",
    "DELIVERY_LEASE_SECONDS": "5",
    "ALERT_COOLDOWN_SECONDS": "900",
}

# A subset without Prometheus has no heartbeat, and the delivery worker would rightly post
# "[PIPELINE BROKEN]" to the same Slack these tests count (tests/bridge/test_monitor.py and
# tests/scenarios/ test that); an hour keeps it quiet for a test's length.
NO_HEARTBEAT_EXPECTED = {"HEARTBEAT_TIMEOUT_SECONDS": "3600"}


@pytest.fixture
def pipeline(tmp_path, fake_slack):
    """`pipeline("redis", "bridge", ..., **env)` starts those Procfile services of one stack
    (fast profile, Slack = `fake_slack`); everything it started is stopped afterwards.

    A value in `env` may be a function of the stack, for settings that name its own ports
    (chosen when it is created): `API_TARGETS=lambda stack: f"127.0.0.1:{...}"`."""
    started: list[Stack] = []

    def start(*services: str, **overrides: str | Callable[[Stack], str]) -> Stack:
        quiet_monitor = {} if "prometheus" in services else NO_HEARTBEAT_EXPECTED
        stack = Stack(
            tmp_path / f"stack{len(started)}", fake_slack, **FAST_DELIVERY, **quiet_monitor
        )
        started.append(stack)
        stack.environ.update(
            {name: value(stack) if callable(value) else value for name, value in overrides.items()}
        )
        return stack.start(services=services)

    try:
        yield start
    finally:
        for stack in started:
            stack.stop()
