"""Records that must not stay firing once their alert is gone (issue 11, defect 6): an alert
silenced and then resolved, and an alert resolved and re-fired inside one group interval
(Alertmanager merges the two; the first instance never gets its resolved webhook)."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.reliability.alerts import alert, eventually, history, now, resolved, send
from tests.scenarios.conftest import CLIENT_ROUTE, FAULT
from tests.scenarios.truth import (
    assert_pages_true,
    firing_in_prometheus,
    firing_records,
    wait_nothing_stuck,
)

pytestmark = pytest.mark.e2e


def _started(alert_or_record: dict) -> datetime:
    return datetime.fromisoformat(alert_or_record.get("startsAt") or alert_or_record["starts_at"])


def _same_instance(record: dict, alert: dict) -> bool:
    """Records keep startsAt to the millisecond (alertstore.records.alert_id)."""
    return abs(_started(record) - _started(alert)) < timedelta(milliseconds=1)


def _refired(stack) -> list[tuple[dict, str]]:
    return [(r, r["status"]) for r in history(stack) if r["alertname"] == "Refired"]


def _silence(stack, alertname: str) -> None:
    start = datetime.now(UTC)
    body = {
        "matchers": [{"name": "alertname", "value": alertname, "isRegex": False}],
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(hours=1)).isoformat(),
        "createdBy": "scenario",
        "comment": "muted while it is looked at",
    }
    response = requests.post(f"{stack.alertmanager_url}/api/v2/silences", json=body, timeout=5)
    response.raise_for_status()


def test_a_silenced_alert_that_resolves_is_not_left_firing(pipeline, traffic):
    stack = pipeline()
    client = traffic(f"{stack.api_url}{CLIENT_ROUTE}", 20, FAULT)
    eventually(stack, lambda: firing_records(stack) >= {("HighErrorRate", None)}, "a record")
    _silence(stack, "HighErrorRate")
    client.set_headers({})
    eventually(
        stack,
        lambda: ("HighErrorRate", None) not in firing_in_prometheus(stack),
        "HighErrorRate to resolve in Prometheus",
    )
    # only HighErrorRate's: the same errors also burn the SLO budget, and the slow-burn
    # ticket rightly stays firing for its long windows (minutes, even in the fast profile)
    eventually(
        stack,
        lambda: ("HighErrorRate", None) not in firing_records(stack),
        "no HighErrorRate record left firing",
    )
    (record,) = [r for r in history(stack) if r["alertname"] == "HighErrorRate"]
    assert record["status"] == "resolved"
    assert record["suppressed_by"] == "silenced"
    wait_nothing_stuck(stack)


def test_a_resolve_and_re_fire_inside_one_group_interval_leaves_no_record_firing(pipeline):
    stack = pipeline()
    # started well before the re-fire, as a real instance is (for + keep_firing_for): a
    # startsAt within ALERT_STARTS_AT_TOLERANCE_SECONDS would be the same instance
    # (alertstore/layout.py, "Record identity")
    first = alert("Refired", now() - timedelta(seconds=10))
    send([stack.alertmanager_url], [first])
    eventually(stack, lambda: stack.slack.received, "the first FIRING")
    # inside one group interval (5 s): the first instance resolves and a second one starts
    # after it ended, as Prometheus stamps them (an overlap would merge into the first)
    send([stack.alertmanager_url], [resolved(first)])
    second = alert("Refired", now())
    send([stack.alertmanager_url], [second])
    eventually(
        stack,
        lambda: [s for r, s in _refired(stack) if _same_instance(r, first)] == ["resolved"],
        "the first instance's record resolved",
    )
    firing = {("Refired", "api-1")}
    truth = lambda: firing | firing_in_prometheus(stack)  # noqa: E731
    assert_pages_true(stack, truth, "the second instance firing")

    send([stack.alertmanager_url], [resolved(second)])
    firing.clear()
    assert_pages_true(stack, truth, "the second instance resolved")
    assert {status for _, status in _refired(stack)} == {"resolved"}
