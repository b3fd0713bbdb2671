"""A real API under gunicorn, answering real 5xx (fault injection), scraped by a real
Prometheus on the rendered fast profile (burn windows divided by 60: the page's 1h and 5m
are 1m and 5s): the availability page fires, one alert for both tiers, and the summary's
error budget says it is overspent."""

import threading

import requests

from testkit.polling import wait_until

ROUTE = "/api/v1/docs/"
PAGE = 'ALERTS{alertname="AvailabilityBudgetFastBurn",alertstate="firing"}'


def _traffic(url: str, stop: threading.Event) -> None:
    """About 10 requests/s (the fast guard wants 1), every other one answered 503."""
    sent = 0
    while not stop.wait(0.1):
        headers = {"X-Fault-Status": "503"} if sent % 2 else {}
        requests.get(f"{url}{ROUTE}", headers=headers, timeout=10)
        sent += 1


def test_real_5xx_traffic_pages_through_the_burn_rate_alert(observed_api):
    observed = observed_api()
    stop = threading.Event()
    sender = threading.Thread(target=_traffic, args=(observed.api.url, stop), daemon=True)
    sender.start()
    try:
        firing = wait_until(lambda: observed.query(PAGE), "the burn-rate page", timeout=90)
        budget = wait_until(
            lambda: requests.get(f"{observed.api.url}/api/v1/metrics/summary/", timeout=10).json()[
                "error_budget"
            ]["availability"]["remaining_percent"],
            "the availability budget measured",
        )
    finally:
        stop.set()
        sender.join(timeout=15)

    [alert] = firing  # both tiers of the page are one alert
    assert alert["metric"]["severity"] == "critical"
    assert alert["metric"]["slo"] == "availability"
    burn = float(alert["value"][1])  # ALERTS' value is 1; the burn is the record's
    assert burn == 1
    ratio = observed.value("taskmgr:slo_availability_errors:ratio_rate1h")
    assert 0.3 < ratio < 0.7, ratio  # half of the requests failed
    assert budget < 0  # a 99.9 % budget cannot survive half of the requests failing
