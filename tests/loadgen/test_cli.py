"""The traffic simulator against a real API: scenarios do what they say, bad flags are explained."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from testkit.ports import free_port
from tests.api.servers import ApiServer


def simulate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "loadgen", *args], capture_output=True, text=True, timeout=120
    )


def status_count(output: str, name: str) -> int:
    match = re.search(rf"status {re.escape(name)}\s+(\d+)", output)
    return int(match.group(1)) if match else 0


@pytest.fixture
def api(tmp_path, redis_server):
    def start(**env):
        server = ApiServer(tmp_path / f"api{len(started)}", redis_server.url, workers=2, env=env)
        started.append(server)
        server.process.start()
        return server.url

    started: list[ApiServer] = []
    yield start
    for server in started:
        server.process.stop()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate", "0"], "--rate must be between 0.1 and 5000, got 0"),
        (["--rate", "fast"], "--rate must be a number, got 'fast'"),
        (["--users", "500"], "--users must be between 1 and 100, got 500"),
        (["--url", "localhost:8000"], "--url must look like http://host:port"),
        (["no-such-scenario"], "invalid choice: 'no-such-scenario'"),
    ],
)
def test_bad_flags_are_refused_with_a_clear_message(args, message):
    result = simulate(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_an_unreachable_api_is_reported_not_a_traceback():
    result = simulate("--url", f"http://127.0.0.1:{free_port()}", "--duration", "1")
    assert result.returncode == 1
    assert "cannot reach the API" in result.stderr
    assert "Traceback" not in result.stderr


def test_error_burst_makes_server_errors_and_steady_does_not(api):
    url = api(FAULT_INJECTION_ENABLED="true")

    burst = simulate("error-burst", "--url", url, "--rate", "40", "--duration", "3", "--seed", "1")
    steady = simulate("steady", "--url", url, "--rate", "40", "--duration", "2", "--seed", "1")

    assert burst.returncode == 0, burst.stderr
    assert status_count(burst.stdout, "5xx") > 10
    assert "requests           120" in burst.stdout
    assert steady.returncode == 0, steady.stderr
    assert status_count(steady.stdout, "5xx") == 0
    assert status_count(steady.stdout, "2xx") == 80


def test_error_burst_warns_when_the_server_ignores_faults(api):
    url = api()  # FAULT_INJECTION_ENABLED defaults to false

    result = simulate("error-burst", "--url", url, "--rate", "40", "--duration", "2")

    assert result.returncode == 0
    assert status_count(result.stdout, "5xx") == 0
    assert "FAULT_INJECTION_ENABLED=true" in result.stderr


def test_throttle_scenario_shows_rate_limiting(api):
    url = api(THROTTLE_ANON_RATE="20/min")

    result = simulate("throttle", "--url", url, "--rate", "30", "--duration", "2", "--users", "1")

    assert result.returncode == 0, result.stderr
    assert status_count(result.stdout, "429 throttled") >= 30  # 60 sent, 20 allowed per minute
