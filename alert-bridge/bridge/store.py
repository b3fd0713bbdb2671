"""The bridge's Redis client: created once per app, shared by its views."""

import redis
from flask import Flask, current_app

# Short timeouts: with Redis away, the webhook answers 503 quickly so Alertmanager retries.
_TIMEOUT_SECONDS = 2.0


def init_app(app: Flask) -> None:
    app.extensions["redis"] = redis.Redis.from_url(
        app.config["BRIDGE"].redis_url,
        socket_timeout=_TIMEOUT_SECONDS,
        socket_connect_timeout=_TIMEOUT_SECONDS,
    )


def get_redis() -> redis.Redis:
    return current_app.extensions["redis"]
