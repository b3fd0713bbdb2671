"""Two API processes scraped as two targets (API_TARGETS): the recording rules and the API's
summary add them up.

Counts from `increase()` are estimates: Prometheus extrapolates the samples it has in the
window to the window's edges. Once a series has samples across the whole window and every
counted request lies inside it, that can only add, by at most W / (W - 2 scrape intervals)
(20 s / 18 s ≈ 1.11 here). A series younger than the window is extrapolated much more (one
4 s old: by a quarter), so every series is created, then left to age a whole window, before
the counted burst. The test takes the largest value seen while the burst is in the window
and allows 15 % over the exact number, never under it. Prometheus' own scrapes of /metrics
are API requests too (one per target per second), so the all-requests total allows for them.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from testkit.ports import free_port
from tests.reliability.alerts import eventually
from tests.reliability.topology import add_api

pytestmark = pytest.mark.e2e

WINDOW = 20  # seconds: RULE_WINDOW for this test, long enough to hold the whole burst
EXTRAPOLATION = 1.15
OK = {"first": 120, "second": 80}  # client requests (docs page) per API process
ERRORS = {"first": 20, "second": 10}  # the same, answered 503 by fault injection


def _query(stack, promql: str) -> dict[str, float]:
    """instance (or "") → value of an instant query."""
    return {r["metric"].get("instance", ""): float(r["value"][1]) for r in stack.query(promql)}


def _burst(urls: dict[str, str]) -> None:
    jobs = []
    for name, url in urls.items():
        jobs += [(url, {})] * OK[name] + [(url, {"X-Fault-Status": "503"})] * ERRORS[name]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(
            pool.map(lambda job: requests.get(job[0], headers=job[1], timeout=30).status_code, jobs)
        )
    assert statuses.count(503) == sum(ERRORS.values()), statuses


def test_two_api_processes_are_summed_by_the_rules_and_the_summary(pipeline):
    second_port = free_port()
    stack = pipeline(
        "redis",
        "api",
        "prometheus",
        RULE_WINDOW=f"{WINDOW}s",
        # the burst is one anonymous client: counted requests, not the 100/min throttle's 429s
        THROTTLE_ANON_RATE="100000/min",
        API_TARGETS=lambda stack: f"127.0.0.1:{stack.ports['API_PORT']},127.0.0.1:{second_port}",
    )
    second = add_api(stack, "api2", second_port)
    apis = {"first": stack.api_url, "second": second}
    instances = {name: url.split("//")[1] for name, url in apis.items()}
    eventually(
        stack,
        lambda: _query(stack, 'up{job="taskmgr-api"} == 1').keys() == set(instances.values()),
        "both API processes up as separate targets",
    )
    # one request of each kind first, so every series exists a whole window before the burst
    for url in apis.values():
        requests.get(f"{url}/api/v1/docs/", timeout=10)
        requests.get(f"{url}/api/v1/docs/", headers={"X-Fault-Status": "503"}, timeout=10)
    eventually(
        stack,
        lambda: len(_query(stack, 'taskmgr_http_requests_total{status="503"}')) == 2,
        "the warm-up requests scraped from both processes",
    )
    time.sleep(WINDOW + 3)

    _burst({name: f"{url}/api/v1/docs/" for name, url in apis.items()})

    total_ok = sum(OK.values())
    total_errors = sum(ERRORS.values())
    highest: dict[str, float] = {}
    per_instance = (
        "sum by (instance) (increase("
        f'taskmgr_http_requests_total{{status="200",route="api/v1/docs/"}}[{WINDOW}s]))'
    )
    deadline = time.monotonic() + WINDOW / 2  # the burst stays in the window this long
    while time.monotonic() < deadline:
        seen = {
            "requests": _query(stack, "taskmgr:http_requests:increase").get("", 0.0),
            "errors": _query(stack, "taskmgr:http_errors:increase").get("", 0.0),
            **{name: v for name, v in _query(stack, per_instance).items()},
        }
        highest = {k: max(v, highest.get(k, 0.0)) for k, v in seen.items()}
        time.sleep(0.5)
    summary = requests.get(f"{stack.api_url}/api/v1/metrics/summary/", timeout=10).json()

    for name, instance in instances.items():
        assert OK[name] <= highest[instance] <= OK[name] * EXTRAPOLATION, (name, highest)
    assert total_errors <= highest["errors"] <= total_errors * EXTRAPOLATION, highest
    scrapes = 2 * (WINDOW + 1)  # Prometheus' own requests to both /metrics in the window
    counted = total_ok + total_errors
    assert counted <= highest["requests"] <= (counted + scrapes) * EXTRAPOLATION, highest
    # the summary reads the same recorded series (one more request: the summary itself)
    assert counted <= summary["total_requests"] <= (counted + scrapes + 1) * EXTRAPOLATION
    assert total_errors <= summary["total_errors"] <= total_errors * EXTRAPOLATION, summary
