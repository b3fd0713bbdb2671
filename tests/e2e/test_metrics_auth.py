"""METRICS_AUTH_TOKEN set: the API's /metrics demands it, and the rendered Prometheus config
sends it (file `metrics_token` beside prometheus.yml), so the API job stays up."""

import requests

from testkit.polling import wait_until

METRICS_TOKEN = "scrape-token-0123456789abcdef"


def up(stack) -> list[str]:
    return [r["value"][1] for r in stack.query('up{job="taskmgr-api"}')]


def test_prometheus_scrapes_an_api_that_demands_a_token(stack_factory):
    stack = stack_factory(METRICS_AUTH_TOKEN=METRICS_TOKEN)

    assert requests.get(f"{stack.api_url}/metrics", timeout=5).status_code == 401
    wait_until(lambda: up(stack) == ["1"], timeout=60, what="up == 1 for the API job")
    # a scrape that got in: the API's own series, not just `up`
    assert stack.query('taskmgr_http_requests_total{job="taskmgr-api"}') or stack.query(
        '{job="taskmgr-api", __name__=~"taskmgr_.+"}'
    )
