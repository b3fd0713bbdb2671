"""Pytest fixtures for the Slack stand-in; tests/conftest.py imports them for the whole suite."""

import pytest

from testkit.slack import FakeSlack


@pytest.fixture
def fake_slack():
    """A fresh Slack incoming webhook per test, closed afterwards even on failure."""
    with FakeSlack() as slack:
        yield slack
