"""metrics/summary/: the last window's traffic, read from Prometheus' recording rules.

Every figure comes from a recorded series (docs/contracts.md), so the summary agrees with
the alerts and Grafana for any number of API processes. Quantiles and avg come from the
histogram; min and max are bucket bounds (see `latency_bounds_ms`). One instant query
fetches every series, asked of each of PROMETHEUS_URLS in order until one answers (the
servers of a pair, a long-term store: the first that answers wins, 503 only when none does);
the result is cached for CACHE_SECONDS in the Django cache (Redis).
The cache only spares Prometheus: when it fails the summary is computed without it (logged
once per outage), so Redis being down never turns the summary into a 500.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import redis
import requests
from django.conf import settings
from django.core.cache import cache

TOTAL = "taskmgr:http_requests:increase"
ERRORS = "taskmgr:http_errors:increase"
CLIENT_ERRORS = "taskmgr:http_client_errors:increase"
ERROR_RATIO = "taskmgr:http_errors_per_requests:ratio"
ACTIVE_USERS = "taskmgr:active_users:max"
BUCKETS = "taskmgr:http_request_duration_seconds_bucket:increase"
QUANTILES = {
    "avg": "taskmgr:http_request_duration_seconds:avg",
    "p50": "taskmgr:http_request_duration_seconds:p50",
    "p95": "taskmgr:http_request_duration_seconds:p95",
    "p99": "taskmgr:http_request_duration_seconds:p99",
}
# Each SLO's error budget left over its window, a fraction (below 0 once overspent): one
# recorded ratio over the whole window, so the summary never asks for weeks of samples.
BUDGETS = {
    "availability": "taskmgr:slo_availability:error_budget_remaining",
    "latency": "taskmgr:slo_latency:error_budget_remaining",
}
RECORDS = (
    TOTAL,
    ERRORS,
    CLIENT_ERRORS,
    ERROR_RATIO,
    ACTIVE_USERS,
    BUCKETS,
    *QUANTILES.values(),
    *BUDGETS.values(),
)
# One value per record (and bucket): a long-term store fed by a Prometheus pair holds each
# record once per `replica` (an external label); `max by` keeps the higher of the two (a
# replica that missed a scrape only ever counts less) and the name (aggregations drop it).
QUERY = 'max by (__name__, le) ({__name__=~"%s"})' % "|".join(RECORDS)  # noqa: UP031 - PromQL

TIMEOUT_SECONDS = 2.0
CACHE_SECONDS = 5
CACHE_KEY = "metrics:summary"

# why an error budget is null (too little data in Prometheus, the two ways it shows)
NO_TRAFFIC_NOTE = "no traffic in the SLO window yet: there is nothing to measure the budget on"
NO_RECORD_NOTE = (
    "Prometheus has no SLO record yet: it has not evaluated the SLO rules over any scrape "
    "of the API (just started, or the rules are not loaded)"
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Objective:
    target: float  # percent of requests that must be good
    window: str  # the window the rules measure it over (SLO_RULE_WINDOW)


def objectives() -> dict[str, Objective]:
    return {
        "availability": Objective(settings.SLO_AVAILABILITY_TARGET, settings.SLO_RULE_WINDOW),
        "latency": Objective(settings.SLO_LATENCY_TARGET, settings.SLO_RULE_WINDOW),
    }


class PrometheusUnavailable(Exception):
    """Prometheus could not be reached or did not answer the query; the message says how."""


def query_prometheus(urls: Sequence[str], at: float | None = None) -> list[dict]:
    """The instant-vector result of QUERY (at `at`, a Unix time; default now) from the
    first of `urls` that answers, or PrometheusUnavailable saying how each one failed."""
    failures = []
    for url in urls:
        try:
            return _query(url, at)
        except PrometheusUnavailable as exc:
            failures.append(str(exc))
    raise PrometheusUnavailable("; ".join(failures))


def _query(base_url: str, at: float | None) -> list[dict]:
    params = {"query": QUERY} if at is None else {"query": QUERY, "time": f"{at:.3f}"}
    try:
        response = requests.get(
            f"{base_url.rstrip('/')}/api/v1/query", params=params, timeout=TIMEOUT_SECONDS
        )
        body = response.json()
    except requests.RequestException as exc:
        raise PrometheusUnavailable(f"Prometheus at {base_url} is unreachable: {exc}") from exc
    except ValueError as exc:
        raise PrometheusUnavailable(
            f"Prometheus at {base_url} answered HTTP {response.status_code} with a non-JSON body"
        ) from exc
    if response.status_code != 200 or body.get("status") != "success":
        raise PrometheusUnavailable(
            f"Prometheus at {base_url} answered HTTP {response.status_code}: "
            f"{body.get('error', body)}"
        )
    return body["data"]["result"]


def _number(raw: str) -> float | None:
    value = float(raw)
    return None if math.isnan(value) or math.isinf(value) else value


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def latency_bounds_ms(buckets: dict[float, float]) -> tuple[float | None, float | None]:
    """(min, max) latency bounds in ms from cumulative bucket increases keyed by `le`.

    min is the upper bound of the lowest bucket with observations (the fastest request took
    at most that); max is the upper bound of the highest non-empty bucket (the slowest took
    at most that). Requests slower than the last finite bucket are reported as that bound.
    """
    bounds = sorted(buckets)
    finite = [le for le in bounds if not math.isinf(le)]
    nonempty, previous = [], 0.0
    for le in bounds:
        if buckets[le] - previous > 1e-9:
            nonempty.append(finite[-1] if math.isinf(le) and finite else le)
        previous = max(previous, buckets[le])
    if not nonempty:
        return None, None
    return _ms(nonempty[0]), _ms(nonempty[-1])


def error_budget(scalars: Mapping[str, float | None], slos: Mapping[str, Objective]) -> dict:
    """Per SLO: target, window and the budget left in percent, or null and a note saying why
    (a NaN record: no traffic in the window; no record at all: nothing evaluated yet)."""
    budget = {}
    for name, objective in slos.items():
        remaining = scalars.get(BUDGETS[name])
        if remaining is not None:
            note = None
        else:
            note = NO_TRAFFIC_NOTE if BUDGETS[name] in scalars else NO_RECORD_NOTE
        budget[name] = {
            "target": objective.target,
            "window": objective.window,
            "remaining_percent": None if remaining is None else round(remaining * 100, 2),
            "note": note,
        }
    return budget


def build_summary(result: list[dict], time_window: str, slos: Mapping[str, Objective]) -> dict:
    """The summary body from Prometheus' result vector; no traffic -> zeros and null latency."""
    scalars: dict[str, float | None] = {}
    buckets: dict[float, float] = {}
    for series in result:
        name = series["metric"]["__name__"]
        value = _number(series["value"][1])
        if name == BUCKETS:
            buckets[float(series["metric"]["le"])] = value or 0.0
        else:
            scalars[name] = value
    total = scalars.get(TOTAL) or 0.0
    ratio = scalars.get(ERROR_RATIO)
    low, high = latency_bounds_ms(buckets) if total > 0 else (None, None)
    latency = {"min": low, "max": high}
    latency.update(
        {key: _ms(scalars.get(name)) if total > 0 else None for key, name in QUANTILES.items()}
    )
    return {
        "total_requests": round(total),
        "total_errors": round(scalars.get(ERRORS) or 0.0),
        "client_errors": round(scalars.get(CLIENT_ERRORS) or 0.0),
        "error_rate_percent": round(ratio * 100, 2) if ratio is not None and total > 0 else 0.0,
        "active_users": round(scalars.get(ACTIVE_USERS) or 0.0),
        "latency": latency,
        "time_window": time_window,
        "error_budget": error_budget(scalars, slos),
    }


class _Cache:
    """The summary's cache entry, skipped while the cache fails; the first failure of an
    outage is logged, and the recovery."""

    def __init__(self) -> None:
        self.failing = False

    def get(self) -> dict | None:
        return self._call(cache.get, CACHE_KEY)

    def set(self, summary: dict) -> None:
        self._call(cache.set, CACHE_KEY, summary, CACHE_SECONDS)

    def _call(self, operation, *args):
        try:
            value = operation(*args)
        except redis.RedisError as exc:
            if not self.failing:
                logger.warning("metrics summary: cache unavailable, asking Prometheus: %s", exc)
            self.failing = True
            return None
        if self.failing:
            logger.info("metrics summary: cache available again")
        self.failing = False
        return value


_cache = _Cache()


def metrics_summary() -> dict:
    """The cached summary; raises PrometheusUnavailable (never cached)."""
    summary = _cache.get()
    if summary is None:
        result = query_prometheus(settings.PROMETHEUS_URLS)
        summary = build_summary(result, settings.SUMMARY_WINDOW_LABEL, objectives())
        _cache.set(summary)
    return summary
