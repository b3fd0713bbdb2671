"""Probes and scrapes are not traffic (SPEC §8), checked as Prometheus sees the API: real
gunicorn, a real Prometheus scraping /metrics every second with the rendered fast-profile
rules, and /health and /status probed all the while."""

from __future__ import annotations

import contextlib
import threading

import pytest
import requests

from metrics.summary import ERROR_RATIO, ERRORS
from stack.durations import seconds
from testkit.polling import wait_until

SUMMARY = "/api/v1/metrics/summary/"
CLIENT_ROUTE = "/api/v1/docs/"


@pytest.fixture
def probed(observed_api):
    """The observed API with a load balancer's and an orchestrator's probes, twice a second."""
    observed = observed_api()
    stop = threading.Event()

    def probe():
        while not stop.wait(0.5):
            for path in ("/health", "/status"):
                # a probe that fails is still no traffic
                with contextlib.suppress(requests.RequestException):
                    requests.get(f"{observed.api.url}{path}", timeout=5)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    yield observed
    stop.set()
    thread.join()


def scraped_a_whole_window(observed) -> bool:
    """Prometheus has scraped the API (answering) for at least one rule window."""
    window = observed.stack.timing.rule_window
    samples = observed.value(f'count_over_time(up{{job="taskmgr-api"}}[{window}])')
    expected = seconds(window) / seconds(observed.stack.timing.scrape_interval)
    return samples is not None and samples >= expected - 1


def test_with_only_probes_and_scrapes_the_summary_counts_no_requests(probed):
    wait_until(lambda: scraped_a_whole_window(probed), "a whole window scraped", timeout=60)

    response = requests.get(f"{probed.api.url}{SUMMARY}", timeout=10)

    assert response.status_code == 200, response.text
    assert response.json()["total_requests"] == 0, response.json()
    assert probed.value("taskmgr:http_requests:rate") == 0


def test_one_failure_among_three_client_requests_pages_nobody(observed_api):
    # Prometheus' own 1 s scrape used to be 1 req/s of "traffic": the fast profile's guard.
    probed = observed_api()
    timing = probed.stack.timing
    wait_until(lambda: scraped_a_whole_window(probed), "a whole window scraped", timeout=60)

    for fault in (None, None, "503"):
        headers = {"X-Fault-Status": fault} if fault else {}
        requests.get(f"{probed.api.url}{CLIENT_ROUTE}", headers=headers, timeout=10)
    wait_until(lambda: (probed.value(ERRORS) or 0) >= 0.9, "the 5xx in the window", timeout=60)
    # ...and evaluated the rules all the while it stayed in the window (an alert whose
    # condition held even once would have left a pending sample in ALERTS).
    wait_until(lambda: probed.value(ERRORS) == 0, "the 5xx to leave the window", timeout=120)
    lookback = f"{round(seconds(timing.rule_window) * 4)}s"

    paged = probed.query(f'max_over_time(ALERTS{{alertname="HighErrorRate"}}[{lookback}])')
    guard = probed.value(f"max_over_time(taskmgr:http_requests:rate[{lookback}])")

    assert paged == [], paged
    assert guard < timing.min_request_rate, guard
    # the failure was a third of the window's requests: far above the threshold
    assert probed.value(f"max_over_time({ERROR_RATIO}[{lookback}])") > 0.3
