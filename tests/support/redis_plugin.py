"""Pytest plugin: start a private redis-server before Django's settings are read.

pytest-django imports the settings before any conftest runs, so REDIS_URL (the throttle
cache and the alert history) must point at the test Redis even earlier: this plugin is
loaded with `-p` and its hook runs first. Each xdist worker gets its own server.
"""

import atexit
import os
import secrets

import pytest

from testkit.redis_server import RedisServer

_server: RedisServer | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    global _server
    _server = RedisServer().start()
    os.environ["REDIS_URL"] = _server.url
    # The API refuses to start without a real secret key (DEBUG is off by default).
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    atexit.register(_server.cleanup)


def session_redis() -> RedisServer:
    assert _server is not None, "redis_plugin did not start"
    return _server
