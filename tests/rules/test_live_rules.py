"""A real Prometheus, run on the rendered fast profile, loads the rules, evaluates them
against a scraped counter and fires HighErrorRate; with no API at all it keeps ApiDown quiet
for the start-up grace and pages once it has passed."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from stack import binaries
from stack.durations import seconds
from stack.profiles import PROFILES
from stack.render import render
from testkit.polling import wait_until
from testkit.ports import free_port
from testkit.processes import ServerProcess
from tests.rules.conftest import stack_settings


class FailingApi(BaseHTTPRequestHandler):
    """/metrics of an API answering 20 requests/s, half of them 5xx (hand-written counters,
    both the labelled one and the by-class one the totals are recorded from)."""

    started = time.monotonic()

    def do_GET(self):
        served = int((time.monotonic() - self.started) * 20)
        ok, failed = served // 2, served - served // 2
        route = 'method="GET",route="api/v1/tasks/"'
        body = (
            "# TYPE taskmgr_http_requests_total counter\n"
            f'taskmgr_http_requests_total{{{route},status="200"}} {ok}\n'
            f'taskmgr_http_requests_total{{{route},status="500"}} {failed}\n'
            "# TYPE taskmgr_http_responses_total counter\n"
            f'taskmgr_http_responses_total{{class="2xx"}} {ok}\n'
            f'taskmgr_http_responses_total{{class="5xx"}} {failed}\n'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def failing_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FailingApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def query(url: str, promql: str) -> list:
    response = requests.get(f"{url}/api/v1/query", params={"query": promql}, timeout=5)
    response.raise_for_status()
    return response.json()["data"]["result"]


def start_prometheus(tmp_path, api_port: int):
    """A running Prometheus (fast profile) scraping the API at `api_port`; its URL."""
    port = free_port()
    settings = stack_settings(
        tmp_path,
        TIMING_PROFILE="fast",
        API_PORT=str(api_port),
        PROMETHEUS_PORT=str(port),
        # nothing listens there: those scrapes fail, which the API rules must not mind
        ALERTMANAGER_PORT=str(free_port()),
        BRIDGE_PORT=str(free_port()),
        OUTBOX_METRICS_PORT=str(free_port()),
    )
    config = render(settings, tmp_path / "config")
    url = f"http://127.0.0.1:{port}"
    argv = [
        binaries.require("prometheus"),
        f"--config.file={config / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    return ServerProcess("prometheus", argv, log_dir=tmp_path, ready_url=f"{url}/-/ready"), url


def test_prometheus_evaluates_the_rules_and_fires_high_error_rate(tmp_path, failing_api):
    server, url = start_prometheus(tmp_path, failing_api)
    with server:
        firing = wait_until(
            lambda: query(url, 'ALERTS{alertname="HighErrorRate",alertstate="firing"}'),
            "HighErrorRate to fire",
        )
        assert firing[0]["metric"]["severity"] == "error"
        ratio = float(query(url, "taskmgr:http_errors_per_requests:ratio")[0]["value"][1])
        assert 0.4 < ratio < 0.6
        groups = requests.get(f"{url}/api/v1/rules", timeout=5).json()["data"]["groups"]
        unhealthy = [
            (r["name"], r.get("lastError"))
            for g in groups
            for r in g["rules"]
            if r["health"] != "ok"
        ]
        assert unhealthy == []
        assert query(url, 'ALERTS{alertname=~"ApiDown|ApiInstanceDown"}') == []


def test_an_api_that_never_comes_up_pages_only_after_the_start_up_grace(tmp_path):
    grace = seconds(PROFILES["fast"].startup_grace)
    server, url = start_prometheus(tmp_path, free_port())  # nothing ever listens there
    with server:
        # Prometheus' own scrape feeds the grace: the record exists soon after the start
        wait_until(
            lambda: query(url, "taskmgr:prometheus_in_startup_grace:count"), "the grace record"
        )

        def firing_api_down():
            return query(url, 'ALERTS{alertname="ApiDown",alertstate="firing"}')

        wait_until(firing_api_down, "ApiDown to fire", timeout=grace + 60)
        # the uptime Prometheus itself measures when it first pages
        [uptime] = query(url, 'time() - process_start_time_seconds{job="prometheus"}')
        assert float(uptime["value"][1]) >= grace
        assert query(url, "taskmgr:prometheus_in_startup_grace:count") == []
