"""Fixtures for the scenarios: the fault tests' `pipeline` (a real stack, fast profile, short
delivery timings, Slack = `fake_slack`) and client traffic stopped after each test."""

import pytest

from testkit.traffic import Traffic
from tests.reliability.conftest import pipeline  # noqa: F401 - the same stacks, reused

# A client route, not a probe: anonymous GETs are answered 401 (or the injected fault)
# before any throttle, so any rate is traffic the rules count.
CLIENT_ROUTE = "/api/v1/tasks/"
FAULT = {"X-Fault-Status": "503"}


@pytest.fixture
def traffic():
    """`traffic(url, rate, headers)` sends GETs in the background until the test ends."""
    started: list[Traffic] = []

    def start(url: str, rate: float, headers: dict[str, str] | None = None) -> Traffic:
        sender = Traffic(url, rate=rate)
        sender.set_headers(headers or {})
        started.append(sender.start())
        return sender

    try:
        yield start
    finally:
        for sender in started:
            sender.stop()
