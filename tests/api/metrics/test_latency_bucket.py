"""The latency histogram has a bucket exactly at LATENCY_P95_THRESHOLD, which the API reads
from its env file (the latency SLO's rules count requests under it); a bad value stops the
API naming it."""

import subprocess
import sys

import requests

from stack.settings import REPO


def test_the_running_api_exports_a_bucket_at_the_configured_threshold(api_server):
    api = api_server(workers=1, env={"LATENCY_P95_THRESHOLD": "300"})
    requests.get(f"{api.url}/api/v1/docs/", timeout=10)

    exposition = requests.get(f"{api.url}/metrics", timeout=10).text

    assert 'taskmgr_http_request_duration_seconds_bucket{le="0.3"' in exposition
    assert 'le="0.5"' in exposition  # the usual boundaries stay


def test_a_bad_threshold_stops_the_api_naming_it():
    result = subprocess.run(
        [sys.executable, "-c", "import taskmgr.settings"],
        cwd=REPO / "api",
        env={"LATENCY_P95_THRESHOLD": "fast", "DJANGO_DEBUG": "true", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "LATENCY_P95_THRESHOLD='fast' is not a number greater than 0" in result.stderr
