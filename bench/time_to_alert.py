"""Time to alert: first injected 5xx → HighErrorRate message at the Slack stand-in.

    python -m bench.time_to_alert [--quick]

Each run starts the whole stack (testkit/stack.py: the Procfile's processes, fast
profile) with a fresh Slack stand-in, sends a healthy baseline at RATE req/s, then asks
every request for a 503 (100 % errors). Measured: the first faulted request leaving →
the stand-in receiving the firing message, split at the alert's startsAt (Prometheus sets
it when the alert turns firing: scrape, rule window, evaluation and `for`), the bridge
storing the record (group wait, the webhook) and Slack (the delivery worker).
Budget (issue 4): scrape 1 + eval 1 + for 5 + group wait 1 + 2 s = 10 s.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench import cli
from bench.report import Result, judged, spread
from testkit.polling import wait_until
from testkit.slack import FakeSlack
from testkit.stack import Stack
from testkit.traffic import Traffic

ALERTNAME = "HighErrorRate"
FAULT = {"X-Fault-Status": "503"}
RATE = 20.0
BASELINE_SECONDS = 3
BUDGET_SECONDS = 10.0
DEADLINE_SECONDS = 120


def _firing_message(slack: FakeSlack):
    for attempt in slack.attempts:
        if (
            attempt.status == 200
            and ALERTNAME in attempt.body.decode()
            and b"FIRING" in attempt.body
        ):
            return attempt
    return None


STAGES = ("first 5xx → firing (startsAt)", "firing → stored", "stored → Slack")


def one_run(tmp: Path) -> tuple[float, tuple[float, float, float]]:
    """Seconds from the first 5xx to Slack, and the STAGES, for one fresh stack."""
    with FakeSlack() as slack:
        stack = Stack(tmp, slack)
        try:
            stack.start()
            traffic = Traffic(f"{stack.api_url}/api/v1/docs/", rate=RATE).start()
            try:
                # A running system has Prometheus scraping long before an incident; a fresh
                # one adds its targets ~5 s after /-/ready (the scrape manager's reload tick,
                # prometheus/prometheus#14073). Start the baseline once it records traffic.
                wait_until(
                    lambda: stack.query("taskmgr:http_requests:rate > 0"),
                    timeout=DEADLINE_SECONDS,
                    interval=0.1,
                    what=f"Prometheus recording the API's traffic\n{stack.logs()}",
                )
                time.sleep(BASELINE_SECONDS)
                traffic.set_headers(FAULT)
                message = wait_until(
                    lambda: _firing_message(slack),
                    timeout=DEADLINE_SECONDS,
                    interval=0.1,
                    what=f"the {ALERTNAME} message\n{stack.logs()}",
                )
                onset = traffic.first_sent_with("X-Fault-Status")
            finally:
                traffic.stop()
            record = next(r for r in stack.alerts() if r["alertname"] == ALERTNAME)
        finally:
            stack.stop()
    starts = datetime.fromisoformat(record["starts_at"]).timestamp()
    stored = datetime.fromisoformat(record["created_at"]).timestamp()
    return message.at - onset, (starts - onset, stored - starts, message.at - stored)


def run(args) -> list[Result]:
    runs = 1 if args.quick else 3
    totals, stages = [], []
    for n in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-time-to-alert-") as tmp:
            total, split = one_run(Path(tmp))
        totals.append(total)
        stages.append(split)
        cli.log(f"time_to_alert: run {n + 1}: {total:.2f}s, stages {split}")
    breakdown = "; ".join(
        f"{name} {spread(values)} s"
        for name, values in zip(STAGES, zip(*stages, strict=True), strict=True)
    )
    return [
        judged(
            f"time to alert, fast profile: first 5xx → Slack stand-in ({runs} stacks, "
            f"100 % errors at {RATE:g} req/s)",
            f"{spread(totals)} s ({breakdown})",
            totals,
            "≤",
            BUDGET_SECONDS,
            "{:g} s",
        )
    ]


if __name__ == "__main__":
    sys.exit(cli.main("time_to_alert", run, __doc__.split("\n")[0]))
