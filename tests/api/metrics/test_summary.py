"""metrics/summary.py: the summary from a real Prometheus, and a clear 503 without one."""

from __future__ import annotations

import math
import time

import pytest
import requests
from django.core.cache import cache
from django.test import override_settings

from metrics import summary
from testkit.polling import wait_until
from testkit.ports import free_port
from testkit.redis_server import RedisServer
from testkit.traffic import Traffic

SUMMARY = "/api/v1/metrics/summary/"


def series(name: str, value: str, **labels: str) -> dict:
    """One element of a Prometheus instant-query result, as the HTTP API returns it."""
    return {"metric": {"__name__": name, **labels}, "value": [1700000000.0, value]}


def buckets(**counts: str) -> list[dict]:
    return [series(summary.BUCKETS, v, le=le.replace("_", ".")) for le, v in counts.items()]


SLOS = {
    "availability": summary.Objective(target=99.9, window="30d"),
    "latency": summary.Objective(target=99.0, window="30d"),
}


def test_no_traffic_is_zeros_and_null_latency():
    result = [series(summary.TOTAL, "0"), series(summary.ERROR_RATIO, "NaN")]

    built = summary.build_summary(result, "5 minutes", SLOS)

    assert built == {
        "total_requests": 0,
        "total_errors": 0,
        "client_errors": 0,
        "error_rate_percent": 0.0,
        "active_users": 0,
        "latency": dict.fromkeys(["min", "max", "avg", "p50", "p95", "p99"]),
        "time_window": "5 minutes",
        "error_budget": {
            name: {
                "target": slo.target,
                "window": "30d",
                "remaining_percent": None,
                "note": summary.NO_RECORD_NOTE,
            }
            for name, slo in SLOS.items()
        },
    }
    assert summary.build_summary([], "5 minutes", SLOS) == built


def test_figures_are_read_from_the_recorded_series():
    result = [
        series(summary.TOTAL, "200.4"),
        series(summary.ERRORS, "10"),
        series(summary.CLIENT_ERRORS, "4"),
        series(summary.ERROR_RATIO, "0.05"),
        series(summary.ACTIVE_USERS, "3"),
        series(summary.QUANTILES["avg"], "0.12345"),
        series(summary.QUANTILES["p50"], "0.08"),
        series(summary.QUANTILES["p95"], "0.45"),
        series(summary.QUANTILES["p99"], "0.9"),
        *buckets(**{"0_005": "0", "0_01": "0", "0_025": "20", "0_5": "150", "1": "200.4"}),
        *buckets(**{"2_5": "200.4", "+Inf": "200.4"}),
    ]

    built = summary.build_summary(result, "15 seconds", SLOS)

    assert built["total_requests"] == 200
    assert (built["total_errors"], built["client_errors"]) == (10, 4)
    assert built["error_rate_percent"] == 5.0
    assert built["active_users"] == 3
    assert built["latency"] == {
        "min": 25.0, "max": 1000.0, "avg": 123.5, "p50": 80.0, "p95": 450.0, "p99": 900.0
    }  # fmt: skip
    assert built["time_window"] == "15 seconds"


def test_the_error_budget_is_the_recorded_remainder_or_null_saying_why():
    result = [
        series(summary.BUDGETS["availability"], "0.8135"),
        series(summary.BUDGETS["latency"], "NaN"),  # no traffic in the window: 0/0
    ]

    budget = summary.build_summary(result, "5 minutes", SLOS)["error_budget"]

    assert budget["availability"] == {
        "target": 99.9, "window": "30d", "remaining_percent": 81.35, "note": None
    }  # fmt: skip
    assert budget["latency"]["remaining_percent"] is None
    assert budget["latency"]["note"] == summary.NO_TRAFFIC_NOTE
    overspent = [series(summary.BUDGETS["availability"], "-1.5")]
    budget = summary.build_summary(overspent, "5 minutes", SLOS)["error_budget"]
    assert budget["availability"]["remaining_percent"] == -150.0  # overspent: below 0


def test_requests_beyond_the_last_bucket_report_its_bound_as_max():
    assert summary.latency_bounds_ms({0.5: 1, 10.0: 1, math.inf: 3}) == (500.0, 10000.0)


# A client route (traffic); probes like /health count nowhere.
CLIENT_ROUTE = "/api/v1/docs/"


@pytest.fixture
def no_cached_summary(redis_server):
    cache.delete(summary.CACHE_KEY)


def test_prometheus_unreachable_is_a_503_naming_it(client, no_cached_summary):
    url = f"http://127.0.0.1:{free_port()}"
    with override_settings(PROMETHEUS_URLS=[url]):
        response = client.get(SUMMARY)

    assert response.status_code == 503
    body = response.json()
    assert body["prometheus_urls"] == [url]
    assert body["detail"].startswith(f"Prometheus at {url} is unreachable")


def test_a_non_prometheus_answer_is_a_503_too(client, live_server, no_cached_summary):
    # Django's live server answers /api/v1/query with a JSON 404: not Prometheus.
    with override_settings(PROMETHEUS_URLS=[live_server.url]):
        response = client.get(SUMMARY)

    assert response.status_code == 503
    assert "answered HTTP 404" in response.json()["detail"]


def test_every_dead_prometheus_is_named_in_the_503(client, no_cached_summary):
    urls = [f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"]
    with override_settings(PROMETHEUS_URLS=urls):
        response = client.get(SUMMARY)

    assert response.status_code == 503
    body = response.json()
    assert body["prometheus_urls"] == urls
    assert [part.split(" is unreachable")[0] for part in body["detail"].split("; ")] == [
        f"Prometheus at {url}" for url in urls
    ]


def test_the_summary_fails_over_past_a_dead_prometheus(observed_api, client, no_cached_summary):
    observed = observed_api()
    send = Traffic(f"{observed.api.url}{CLIENT_ROUTE}", rate=5).start()
    try:
        wait_until(lambda: (observed.value(summary.TOTAL) or 0) > 0, "traffic recorded", timeout=60)
    finally:
        send.stop()
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: connection refused
    urls = [closed, observed.prometheus_url]
    at = time.time()

    with override_settings(PROMETHEUS_URLS=urls):
        response = client.get(SUMMARY)

    assert response.status_code == 200, response.json()
    assert response.json()["total_requests"] > 0
    assert summary.query_prometheus(urls, at) == summary.query_prometheus(urls[1:], at)


def test_the_summary_from_a_real_prometheus(observed_api):
    observed = observed_api()
    api = observed.api

    def send(faults):
        for fault in faults:
            headers = {"X-Fault-Status": fault} if fault else {}
            requests.get(f"{api.url}{CLIENT_ROUTE}", headers=headers, timeout=10)

    # increase() cannot count a series' first sample, so create each series and let
    # Prometheus scrape it before the traffic the assertions count.
    send([None, "503", "404"])
    route = 'taskmgr_http_requests_total{route="api/v1/docs/"}'
    wait_until(lambda: len(observed.query(route)) == 3, "the three routes scraped")
    send([None] * 30 + ["503"] * 10 + ["404"] * 5)

    deadline = time.monotonic() + 60
    body = {}
    while time.monotonic() < deadline:
        response = requests.get(f"{api.url}{SUMMARY}", timeout=10)
        body = response.json()
        if response.status_code == 200 and body["total_errors"] >= 10:
            break
        time.sleep(1)

    # increase() extrapolates to the window's edges, so counts are close, not exact.
    assert body["total_errors"] >= 10, body
    assert body["client_errors"] >= 5, body
    assert body["total_requests"] >= 45, body
    assert 0 < body["error_rate_percent"] < 100, body
    latency = body["latency"]
    assert None not in latency.values(), body
    # min/max are bucket bounds, quantiles interpolate inside buckets: only these orders hold.
    assert latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"], body
    assert latency["min"] <= latency["max"], body
    assert body["time_window"] == observed.stack.window_label

    # 10 of ~48 requests failed: a 99.9 % budget is long overspent, once the budget record
    # (summed from the 5m-window records at their step) has taken the errors in. The fast
    # profile's 5m window is 5 s: on a loaded machine a late scrape can leave a burst
    # between two windows, so the failures go on (at the same share) until it is seen.
    def overspent():
        send(["503"] * 2 + [None] * 8)
        return _overspent(api.url)

    budget = wait_until(overspent, "the availability budget overspent", timeout=90, interval=1)
    assert budget["availability"]["target"] == 99.9
    assert budget["availability"]["window"] == observed.stack.slo_rule_window == "12h"
    assert budget["availability"]["remaining_percent"] < 0, budget
    assert budget["latency"]["remaining_percent"] <= 100.0, budget


def _overspent(api_url: str) -> dict | None:
    budget = _budget_measured(api_url)
    return budget if budget and budget["availability"]["remaining_percent"] < 0 else None


def _budget_measured(api_url: str) -> dict | None:
    budget = requests.get(f"{api_url}{SUMMARY}", timeout=10).json()["error_budget"]
    return budget if all(b["remaining_percent"] is not None for b in budget.values()) else None


def test_before_any_traffic_the_error_budget_is_null_and_says_why(observed_api):
    observed = observed_api()
    # scraped, and the SLO rules evaluated over those scrapes, but no request yet
    wait_until(
        lambda: observed.query("taskmgr:slo_availability:error_budget_remaining"),
        "the budget record evaluated",
    )

    budget = requests.get(f"{observed.api.url}{SUMMARY}", timeout=10).json()["error_budget"]

    for slo in ("availability", "latency"):
        assert budget[slo]["remaining_percent"] is None, budget
        assert budget[slo]["note"] == summary.NO_TRAFFIC_NOTE, budget


@pytest.fixture
def stopped_redis():
    """A private redis-server that ran and was stopped: its port refuses connections."""
    server = RedisServer().start()
    server.stop()
    yield server
    server.cleanup()


CACHE_DOWN = "metrics summary: cache unavailable"


def test_with_redis_down_the_summary_still_answers_from_prometheus(observed_api, stopped_redis):
    observed = observed_api(api_env={"REDIS_URL": stopped_redis.url})
    api = observed.api
    wait_until(lambda: observed.value('up{job="taskmgr-api"}') == 1, "a whole window scraped")

    answers = [requests.get(f"{api.url}{SUMMARY}", timeout=10) for _ in range(4)]

    assert [a.status_code for a in answers] == [200] * 4, answers[-1].text
    assert answers[-1].json()["time_window"] == observed.stack.window_label
    # logged once per worker process, not once per request
    assert 1 <= api.process.log_path.read_text().count(CACHE_DOWN) <= 2


def test_with_redis_and_prometheus_down_the_summary_is_a_clear_503(api_server, stopped_redis):
    nowhere = f"http://127.0.0.1:{free_port()}"
    api = api_server(workers=1, env={"REDIS_URL": stopped_redis.url, "PROMETHEUS_URLS": nowhere})

    response = requests.get(f"{api.url}{SUMMARY}", timeout=10)

    assert response.status_code == 503, response.text
    assert response.json()["detail"].startswith(f"Prometheus at {nowhere} is unreachable")
