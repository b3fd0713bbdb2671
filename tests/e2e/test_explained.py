"""Pages that explain themselves, end to end on the fast profile (issue 12): a 5xx burst on
one route pages with that route first and no healthy one; the resolve says the value then,
the incident's peak and its duration, as Prometheus reports them for the window."""

from __future__ import annotations

import re
import time
from datetime import datetime

import pytest
import requests

from testkit.polling import wait_until
from testkit.traffic import Traffic

pytestmark = pytest.mark.e2e

DEADLINE = 90
FAULTY, HEALTHY = "api/v1/redoc/", "api/v1/docs/"
RESOLVED_LINE = re.compile(
    r"^\[RESOLVED\] HighErrorRate — error rate now (?P<now>[\d.,]+) % "
    r"\(peak (?P<peak>[\d.,]+) %, threshold 5 %\), "
    # Alertmanager's resolve, or reconciliation's when it sees the alert gone first
    r"(resolved after|resolved: no longer reported by Alertmanager \(after) (\d+m )?\d+s\)?$"
)


def _messages(stack, word: str) -> list[dict]:
    return [m for m in stack.slack.received if f"[{word}] HighErrorRate" in m["text"]]


def _record(stack, status: str) -> dict | None:
    found = [r for r in stack.alerts(status=status) if r["alertname"] == "HighErrorRate"]
    return found[0] if found else None


def _at(stack, promql: str, moment: str) -> float:
    """Prometheus' value of `promql` at a record's time."""
    at = datetime.fromisoformat(moment).timestamp()
    answer = requests.get(
        f"{stack.prometheus_url}/api/v1/query", params={"query": promql, "time": at}, timeout=5
    )
    (sample,) = answer.json()["data"]["result"]
    return float(sample["value"][1])


def test_a_burst_on_one_route_pages_with_that_route_and_resolves_with_value_peak_and_duration(
    stack_factory,
):
    stack = stack_factory(ALERT_COOLDOWN_SECONDS="900")
    healthy = Traffic(f"{stack.api_url}/{HEALTHY}", rate=12).start()
    faulty = Traffic(f"{stack.api_url}/{FAULTY}", rate=6).start()
    try:
        time.sleep(3)  # a healthy baseline first
        faulty.set_headers({"X-Fault-Status": "503"})

        (firing,) = wait_until(
            lambda: _messages(stack, "FIRING"), timeout=DEADLINE, what=f"FIRING\n{stack.logs()}"
        )
        # the first lines say where: the notification line, then the first block after the
        # header, before the summary and description
        assert f"where: {FAULTY} (100 %)" in firing["text"]
        blocks = firing["attachments"][0]["blocks"]
        assert blocks[1]["text"]["text"] == f"*Where it breaks*\n• `{FAULTY} (100 %)`"
        assert "5xx error rate above" in blocks[2]["text"]["text"]
        assert HEALTHY not in str(firing)

        faulty.set_headers({})
        (resolved,) = wait_until(
            lambda: _messages(stack, "RESOLVED"), timeout=DEADLINE, what="RESOLVED"
        )
        record = wait_until(lambda: _record(stack, "resolved"), timeout=DEADLINE, what="record")
    finally:
        healthy.stop()
        faulty.stop()

    line = RESOLVED_LINE.match(resolved["text"])
    assert line, resolved["text"]
    assert float(line["now"]) == pytest.approx(record["resolved_value"], abs=0.01)
    assert float(line["peak"]) == pytest.approx(record["peak_value"], abs=0.01)
    assert record["resolved_value"] < 5 < record["peak_value"]
    assert record["culprits"] == [{"route": FAULTY, "value": 100.0}]
    # what Prometheus reports for the incident's window, from starts_at to ends_at
    window = f"{round(record['duration_seconds'] * 1000) + 1}ms"
    ratio = "taskmgr:http_errors_per_requests:ratio"
    assert record["resolved_value"] == pytest.approx(
        _at(stack, f"{ratio} * 100", record["ends_at"]), abs=0.5
    )
    assert record["peak_value"] == pytest.approx(
        _at(stack, f"max_over_time({ratio}[{window}]) * 100", record["ends_at"]), abs=0.5
    )
    started, ended = (datetime.fromisoformat(record[n]) for n in ("starts_at", "ends_at"))
    assert record["duration_seconds"] == pytest.approx((ended - started).total_seconds(), abs=0.01)
