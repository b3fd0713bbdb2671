"""What must page nobody: probes, scrapes and one failure among three requests (the README's
promise, with Prometheus scraping every second: issue 11, defect 1), and an API whose
/metrics demands METRICS_AUTH_TOKEN (defect 3)."""

import pytest
import requests

from tests.reliability.alerts import eventually
from tests.scenarios.conftest import CLIENT_ROUTE, FAULT
from tests.scenarios.truth import NOT_INCIDENTS

pytestmark = pytest.mark.e2e


def _value(stack, promql: str) -> float | None:
    result = stack.query(promql)
    return float(result[0]["value"][1]) if result else None


def _alerts(stack, states=("pending", "firing")) -> set[str]:
    """Names of the alerts Prometheus holds in `states` (the pipeline's own aside)."""
    response = requests.get(f"{stack.prometheus_url}/api/v1/alerts", timeout=5)
    alerts = response.json()["data"]["alerts"]
    names = {a["labels"]["alertname"] for a in alerts if a["state"] in states}
    return names - NOT_INCIDENTS


def test_one_failure_among_three_requests_pages_nobody(pipeline):
    stack = pipeline()
    for _ in range(5):
        for probe in ("/health", "/status"):
            requests.get(f"{stack.api_url}{probe}", timeout=5)
    eventually(
        stack,
        lambda: (_value(stack, 'count_over_time(up{job="taskmgr-api"}[1m])') or 0) >= 10,
        "ten scrapes of the API",
    )
    summary = requests.get(f"{stack.api_url}/api/v1/metrics/summary/", timeout=10).json()
    assert summary["total_requests"] == 0, summary  # only probes and scrapes so far

    for headers in ({}, FAULT, {}):
        requests.get(f"{stack.api_url}{CLIENT_ROUTE}", headers=headers, timeout=5)
    seen: set[str] = set()

    def window_passed() -> bool:
        seen.update(_alerts(stack))
        return (_value(stack, "taskmgr:http_errors:increase") or 0) == 0

    eventually(stack, lambda: (_value(stack, "taskmgr:http_errors:increase") or 0) > 0, "5xx")
    eventually(stack, window_passed, "the failure to leave the rule window")
    assert "HighErrorRate" not in seen, seen
    assert not [m for m in stack.slack.received if "HighErrorRate" in m["text"]]


def test_with_a_metrics_token_prometheus_scrapes_the_api_and_nothing_fires(pipeline):
    stack = pipeline(METRICS_AUTH_TOKEN="scenario-metrics-token-0123456789")
    eventually(
        stack,
        lambda: _value(stack, 'up{job="taskmgr-api"}') == 1,
        "Prometheus to scrape the API with the token",
    )
    seen: set[str] = set()

    def long_enough() -> bool:  # past the start-up grace and every `for`
        # firing only: on a loaded machine the API may come up after the start-up grace,
        # and ApiDown is rightly pending until its first good scrape (min_over_time below
        # proves every scrape since succeeded)
        seen.update(_alerts(stack, states=("firing",)))
        uptime = _value(stack, 'time() - process_start_time_seconds{job="prometheus"}')
        return (uptime or 0) > 40

    eventually(stack, long_enough, "Prometheus running for 40 s")
    assert _value(stack, 'min_over_time(up{job="taskmgr-api"}[30s])') == 1
    assert not seen, seen
    assert stack.slack.received == []
