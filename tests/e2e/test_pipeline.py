"""request → metric → rule → Alertmanager → bridge → Redis → API, and Slack, with real processes.

Fast timing profile; the cooldown is set longer than the test so "inside the cooldown" holds.
Deadlines are generous: these tests prove behaviour, bench/time_to_alert.py measures speed.
"""

from __future__ import annotations

import time

import pytest

from testkit.polling import wait_until
from testkit.traffic import Traffic

pytestmark = pytest.mark.e2e

COOLDOWN = 900
DEADLINE = 90  # seconds for any one step; the fast profile needs ~10 s to fire, ~25 s to resolve


def _messages(stack, alertname: str, word: str) -> list[dict]:
    return [m for m in stack.slack.received if alertname in m["text"] and word in m["text"]]


def _record(stack, alertname: str, **filters):
    records = [r for r in stack.alerts(**filters) if r["alertname"] == alertname]
    return records[0] if records else None


def _announced_and_stored(stack, alertname: str, status: str) -> dict:
    """Wait for Slack's message of `status` ("firing" or "resolved"), then for the record in
    /api/v1/alerts/ to show that status; the record."""
    wait_until(
        lambda: _messages(stack, alertname, status.upper()),
        timeout=DEADLINE,
        what=f"{alertname} {status} message\n{stack.logs()}",
    )
    return wait_until(
        lambda: _record(stack, alertname, status=status),
        timeout=DEADLINE,
        what=f"{alertname} {status} in /api/v1/alerts/",
    )


@pytest.mark.parametrize(
    ("alertname", "fault", "threshold", "rate"),
    [
        ("HighErrorRate", {"X-Fault-Status": "503"}, 5.0, 20.0),
        ("HighLatency", {"X-Fault-Delay-Ms": "800"}, 500.0, 4.0),
    ],
)
def test_alert_fires_resolves_and_pages_again_when_it_refires_within_the_cooldown(
    stack_factory, alertname, fault, threshold, rate
):
    stack = stack_factory(ALERT_COOLDOWN_SECONDS=str(COOLDOWN))
    traffic = Traffic(f"{stack.api_url}/api/v1/docs/", rate=rate).start()
    try:
        time.sleep(3)  # a healthy baseline first
        traffic.set_headers(fault)

        # fires: exactly one Slack message, and the record carries value and threshold
        record = _announced_and_stored(stack, alertname, "firing")
        assert record["threshold_value"] == threshold
        assert record["metric_value"] > threshold
        assert record["severity"] in ("ERROR", "WARNING")

        # resolves when the fault stops: one resolved message, the record turns resolved
        traffic.set_headers({})
        resolved = _announced_and_stored(stack, alertname, "resolved")
        assert resolved["id"] == record["id"]
        assert resolved["ends_at"] is not None

        # a second burst inside the cooldown, after the RESOLVED message, pages again: the
        # cooldown limits repeats of an ongoing alert, never Slack's last word (issue 11)
        traffic.set_headers(fault)
        wait_until(
            lambda: len(_messages(stack, alertname, "FIRING")) == 2,
            timeout=DEADLINE,
            what=f"{alertname} second firing message\n{stack.logs()}",
        )
        second = wait_until(
            lambda: _record(stack, alertname, status="firing"),
            timeout=DEADLINE,
            what="the second firing to reach the history",
        )
        assert "FIRING" in [m["text"] for m in stack.slack.received if alertname in m["text"]][-1]
        assert second["id"] != record["id"]
        assert second["suppressed_by"] is None
        assert second["flaps"] == 1
    finally:
        traffic.stop()
    assert len(_messages(stack, alertname, "RESOLVED")) == 1
