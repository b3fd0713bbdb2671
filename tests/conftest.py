"""Fixtures every part of the suite shares. Area-specific ones live in tests/<area>/conftest.py."""

import os
import signal
from pathlib import Path

import pytest

from metrics.active_users import RECORDER
from testkit.slack import FakeSlack
from testkit.stack import Stack
from testkit.traffic import Traffic
from tests.fakes.fixtures import fake_slack  # noqa: F401 - a fixture for the whole suite
from tests.support.redis_plugin import session_redis


def _interrupted(signum, frame):
    """SIGTERM (a CI timeout, a developer's kill) stops the run as Ctrl-C does, fixtures torn
    down: every server a test starts runs in its own session, out of the signal's reach, and
    would outlive the run. Passed on to xdist's workers first, the controller's children."""
    me = os.getpid()
    for child in Path(f"/proc/{me}/task/{me}/children").read_text().split():
        os.kill(int(child), signal.SIGTERM)
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    signal.signal(signal.SIGTERM, _interrupted)


@pytest.fixture
def redis_server():
    """The session's private Redis, emptied before each test that asks for it."""
    # The API runs in this process too (Django test client): write out the active users its
    # earlier tests recorded now, so its flusher thread cannot add them after the wipe.
    RECORDER.flush()
    server = session_redis()
    server.client().flushall()
    return server


@pytest.fixture
def stack_factory(tmp_path):
    """Start the whole stack (fast profile) with env overrides; stopped after the test."""
    started = []
    with FakeSlack() as slack:

        def start(**overrides):
            stack = Stack(tmp_path / f"stack{len(started)}", slack, **overrides)
            started.append(stack)
            return stack.start()

        try:
            yield start
        finally:
            for stack in started:
                stack.stop()


class LiveStack:
    """The whole stack plus a way to give every dashboard panel something to show."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.prometheus_url = stack.prometheus_url

    def generate_traffic(self) -> None:
        """Authenticated requests (active users), errors and slow ones (alerts, deliveries)."""
        import requests

        headers = self.stack.staff_headers()
        for _ in range(5):
            requests.get(f"{self.stack.api_url}/api/v1/tasks/", headers=headers, timeout=5)
        traffic = Traffic(f"{self.stack.api_url}/api/v1/docs/", rate=20).start()
        try:
            traffic.set_headers({"X-Fault-Status": "503"})
            self.stack.slack.wait_for(1, timeout=90)  # an alert went all the way to Slack
        finally:
            traffic.stop()


@pytest.fixture
def live_stack(stack_factory):
    return LiveStack(stack_factory())
