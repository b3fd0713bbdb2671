"""Throttles counted in the Django cache (Redis), so all gunicorn workers share one count.

Rates come from settings (THROTTLE_*_RATE) and are parsed by taskmgr.rates, which also
validated them at startup.
"""

import logging

from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.exceptions import APIException
from rest_framework.settings import api_settings

from taskmgr.rates import parse_rate

logger = logging.getLogger(__name__)
LIMITER_UNAVAILABLE = "The rate limiter is unavailable; try again shortly."


class RateLimiterUnavailable(APIException):
    status_code = 503
    default_detail = LIMITER_UNAVAILABLE
    default_code = "rate_limiter_unavailable"


class _StrictRateMixin:
    # Redis down: ordinary traffic is served unthrottled (availability first, logged),
    # while the auth endpoints refuse (503) rather than open the door to brute force.
    fail_open = True

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except RedisError as exc:
            logger.warning("throttle %s: cache unavailable (%s)", type(self).__name__, exc)
            if self.fail_open:
                return True
            raise RateLimiterUnavailable() from None

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
