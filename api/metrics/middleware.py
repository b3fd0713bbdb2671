"""Times and labels every request that is traffic by method, route template and status
(and counts it by status class); no I/O.

Traffic is what clients ask of the API (SPEC §8). Prometheus' scrapes of /metrics and the
probes of /health and /status are not: they touch no instrument at all (no request or
response-class count, no latency, no in-flight), so they lift no traffic guard, no error
ratio and no summary figure. `is_traffic` is that definition, used nowhere else.

Placed first in MIDDLEWARE so it brackets everything else (throttling, auth, injected
faults). Labels come from the resolver, never the path, so ids cannot create series.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from metrics import instruments
from metrics.active_users import RECORDER

KNOWN_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")
)

# Probe and scrape paths, both spellings each answers to (health/urls.py, taskmgr/urls.py);
# compared with path_info before any resolution, so a probe costs a set lookup.
NOT_TRAFFIC_PATHS = frozenset(
    ("/health", "/health/", "/status", "/status/", "/metrics", "/metrics/")
)

# (method, route, status) -> (counter child, histogram child, class counter child).
# Bounded: methods are clamped, routes are templates and statuses are HTTP codes.
_children: dict[tuple[str, str, str], tuple] = {}


def _bound(method: str, route: str, status: str) -> tuple:
    key = (method, route, status)
    children = _children.get(key)
    if children is None:
        children = _children[key] = (
            instruments.http_requests_total.labels(*key),
            instruments.http_request_duration_seconds.labels(*key),
            instruments.http_responses_total.labels(status_class(status)),
        )
    return children


def is_traffic(request: HttpRequest) -> bool:
    """Whether the request counts as API traffic: anything but a probe or a scrape."""
    return request.path_info not in NOT_TRAFFIC_PATHS


def status_class(status: str) -> str:
    """The status class, "503" -> "5xx": one of instruments.RESPONSE_CLASSES, as Django keeps
    codes in 100..599 (a code set outside that still gets a bounded class of its own)."""
    return f"{status[0]}xx"


def route_of(request: HttpRequest) -> str:
    """The matched URL template including include() prefixes, or the fixed <unmatched>."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return instruments.UNMATCHED_ROUTE
    return match.route


def method_of(request: HttpRequest) -> str:
    method = request.method
    return method if method in KNOWN_METHODS else instruments.OTHER_METHOD


def authenticated_user_id(request: HttpRequest) -> int | str | None:
    """The user DRF or Django authenticated for this request, without triggering a lookup.

    DRF's Request.user setter copies the user onto the Django request, so after the view
    a token-authenticated user is visible here. An unevaluated lazy user means nobody
    authenticated the request, and evaluating it could query the session store.
    """
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    return user.pk if user.is_authenticated else None


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_traffic(request):
            return self.get_response(request)
        in_flight = instruments.http_requests_in_flight
        in_flight.inc()
        start = time.perf_counter()
        status = "500"  # what an exception escaping the stack becomes
        try:
            response = self.get_response(request)
            status = str(response.status_code)
            return response
        finally:
            elapsed = time.perf_counter() - start
            counter, histogram, by_class = _bound(method_of(request), route_of(request), status)
            counter.inc()
            histogram.observe(elapsed)
            by_class.inc()
            in_flight.dec()
            user_id = authenticated_user_id(request)
            if user_id is not None:
                RECORDER.record(user_id)
