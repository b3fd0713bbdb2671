"""A short soak (`python -m soak`, the `make soak` script) against the API as `make run`
starts it, with workers recycling quickly: same bounds as the ten-minute run."""

from __future__ import annotations

import json

from soak.run import main
from testkit.stack import Stack
from tests.api.servers import api_env, manage


def test_a_short_soak_with_recycling_workers_stays_within_bounds(tmp_path, fake_slack):
    # 50 requests per worker at ~20 req/s over 2 workers: a recycle every ~5 s per worker
    stack = Stack(tmp_path / "stack", fake_slack, GUNICORN_WORKERS="2", GUNICORN_MAX_REQUESTS="50")
    stack.start(("redis", "api"))
    try:
        report_path = tmp_path / "soak.json"
        code = main(
            [
                "--port", str(stack.ports["API_PORT"]),
                "--minutes", "0.75",
                "--interval", "2",
                "--warmup", "5",
                "--multiproc-dir", str(tmp_path / "stack" / "state" / "multiproc" / "api"),
                "--report", str(report_path),
            ]
        )  # fmt: skip
    finally:
        stack.stop()

    report = json.loads(report_path.read_text())
    assert code == 0, report["broken"]
    assert report["requests"] >= 800
    assert report["injected"] > 0  # the mixed scenario's own faults were sent and excluded
    assert report["process_ids_seen"] >= 3 + 6, "workers did not recycle"
    assert report["metric_files"]["max"] > 0


def test_worker_recycling_is_configured_and_validated(tmp_path):
    # no PROMETHEUS_MULTIPROC_DIR at all: set but empty, prometheus_client writes into cwd
    env = api_env(tmp_path, PROMETHEUS_MULTIPROC_DIR=None)
    shown = manage(
        env,
        "shell",
        "-c",
        "from django.conf import settings; print(settings.GUNICORN_MAX_REQUESTS)",
    )
    assert shown.stdout.splitlines()[-1] == "1000", shown.stdout + shown.stderr

    refused = manage({**env, "GUNICORN_MAX_REQUESTS": "lots"}, "check")
    assert refused.returncode != 0
    assert "GUNICORN_MAX_REQUESTS='lots' is not an integer" in refused.stderr
