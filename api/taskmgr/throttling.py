"""Throttles counted in the Django cache (Redis), so all gunicorn workers share one count.

Rates come from settings (THROTTLE_*_RATE) and are parsed by taskmgr.rates, which also
validated them at startup.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings

from taskmgr.rates import parse_rate


class _StrictRateMixin:
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

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
