"""The API's own Redis connection (throttle counts, active users, alert history reads).

Short timeouts: callers turn a slow or absent Redis into a clear answer instead of hanging
a worker. redis-py's pool reconnects after gunicorn forks, so one client per URL is safe.
"""

import redis
from django.conf import settings

SOCKET_TIMEOUT_SECONDS = 1.0

_clients: dict[str, redis.Redis] = {}


def redis_client() -> redis.Redis:
    """The client for settings.REDIS_URL, created on first use (keyed by URL for tests)."""
    url = settings.REDIS_URL
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            decode_responses=True,
        )
    return client
