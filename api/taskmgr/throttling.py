"""Throttles counted in Redis, so all gunicorn workers share one count.

Rates come from settings (THROTTLE_*_RATE) and are parsed by taskmgr.rates, which also
validated them at startup.

DRF's stock throttles keep every request time of the window in one cache entry and read
and rewrite it on each request: O(limit) bytes per request (1,000 floats at 1000/min).
We keep the same sliding log in a Redis sorted set instead and let one Lua script trim it,
count it and add the request: one round trip of constant size, the same semantics (at
most `rate` requests in any window of its length, refused requests not counted) and the
same Retry-After (when the oldest counted request leaves the window).
"""

import logging
import time
import uuid

from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.exceptions import APIException
from rest_framework.settings import api_settings

from alertstore.layout import throttle_key
from taskmgr.rates import parse_rate
from taskmgr.redis_client import redis_client

logger = logging.getLogger(__name__)
LIMITER_UNAVAILABLE = "The rate limiter is unavailable; try again shortly."


# KEYS[1] the log; ARGV now, window seconds, limit, a unique member for this request.
# Returns {1, 0} when counted, {0, oldest timestamp} when refused.
_SLIDING_LOG = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])))
  return {1, 0}
end
return {0, redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]}
"""


_scripts: dict[object, object] = {}


def _script(client):
    """The sliding log registered on `client` (EVALSHA, loaded on demand), once per client:
    registering hashes the script."""
    script = _scripts.get(client)
    if script is None:
        script = _scripts[client] = client.register_script(_SLIDING_LOG)
    return script


class RateLimiterUnavailable(APIException):
    status_code = 503
    default_detail = LIMITER_UNAVAILABLE
    default_code = "rate_limiter_unavailable"


class _StrictRateMixin:
    # Redis down: ordinary traffic is served unthrottled (availability first, logged),
    # while the auth endpoints refuse (503) rather than open the door to brute force.
    fail_open = True

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        try:
            return self._count(key, time.time())
        except RedisError as exc:
            logger.warning("throttle %s: cache unavailable (%s)", type(self).__name__, exc)
            if self.fail_open:
                return True
            raise RateLimiterUnavailable() from None

    def _count(self, key: str, now: float) -> bool:
        script = _script(redis_client())
        allowed, oldest = script(
            keys=[throttle_key(key)],
            args=[now, self.duration, self.num_requests, f"{now}:{uuid.uuid4().hex[:8]}"],
        )
        if allowed:
            return True
        self._wait = max(1.0, float(oldest) + self.duration - now)
        return False

    def wait(self):
        return self._wait

    @property
    def THROTTLE_RATES(self):
        # DRF binds the rates once at import; reading them per request lets
        # override_settings (tests) change them like any other setting.
        return api_settings.DEFAULT_THROTTLE_RATES

    def parse_rate(self, rate):
        return (None, None) if rate is None else parse_rate(rate)


class AnonRateThrottle(_StrictRateMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_StrictRateMixin, throttling.UserRateThrottle):
    pass


class AuthRateThrottle(_StrictRateMixin, throttling.SimpleRateThrottle):
    """Register and token: per client address, whoever the request claims to be."""

    scope = "auth"
    fail_open = False

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
