"""The bridge's Redis client: created once per app, shared by its views
(`alertstore.connection`: REDIS_URL, or the primary Sentinel names)."""

from flask import Flask, current_app
from redis import Redis

from alertstore import connection

# Short timeouts: with Redis away, the webhook answers 503 quickly so Alertmanager retries.
_TIMEOUT_SECONDS = 2.0


def init_app(app: Flask) -> None:
    config = app.config["BRIDGE"]
    # a WAIT blocks up to its bound before it answers: the socket must outwait it
    timeout = _TIMEOUT_SECONDS + config.redis_wait_timeout_ms / 1000
    app.extensions["redis"] = connection.connect(config.redis_target, timeout=timeout)


def get_redis() -> Redis:
    return current_app.extensions["redis"]
