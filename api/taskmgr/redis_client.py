"""The API's own Redis connection (throttle counts, active users, alert history reads).

Short timeouts: callers turn a slow or absent Redis into a clear answer instead of hanging
a worker. redis-py's pool reconnects after gunicorn forks, so one client per target is
safe; with Sentinel (alertstore.connection) each reconnect finds the current primary.
"""

import redis
from django.conf import settings

from alertstore import connection

SOCKET_TIMEOUT_SECONDS = 1.0

_clients: dict[connection.RedisTarget, redis.Redis] = {}


def redis_target() -> connection.RedisTarget:
    return connection.RedisTarget(
        settings.REDIS_URL, settings.REDIS_SENTINELS, settings.REDIS_SENTINEL_MASTER
    )


def redis_client() -> redis.Redis:
    """The client for redis_target(), created on first use (keyed by it for tests)."""
    target = redis_target()
    client = _clients.get(target)
    if client is None:
        client = _clients[target] = connection.connect(
            target, timeout=SOCKET_TIMEOUT_SECONDS, decode_responses=True
        )
    return client
