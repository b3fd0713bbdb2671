"""Slack failing for over a minute (5xx, timeouts), then rate-limiting (429 + Retry-After),
while Alertmanager keeps notifying: nothing lost, nothing sent twice, nothing blocked."""

import itertools

import pytest

from tests.reliability.alerts import (
    alert,
    assert_all_sent,
    assert_once_each_in_order,
    eventually,
    history,
    now,
    resolved,
    send,
    settle,
)
from tests.reliability.topology import metric

pytestmark = pytest.mark.e2e

# With SLACK_TIMEOUT_SECONDS=2 and DELIVERY_MAX_BACKOFF_SECONDS=2 one round of these takes
# about 8 s (2 s wait after each 5xx, 2 s timeout + 2 s wait): 8 rounds refuse for > 60 s.
OUTAGE = [(500,), (503,), ("timeout", 3)] * 8
RATE_LIMITED = [(429, {"Retry-After": "3"})] * 3
DELIVERIES = "taskmgr_bridge_slack_deliveries_total"


def test_slack_down_then_rate_limiting_loses_nothing_and_sends_each_message_once(
    pipeline, fake_slack
):
    stack = pipeline("redis", "bridge", "outbox", "alertmanager")
    bridge_metrics = f"{stack.bridge_url}/metrics"
    worker_metrics = f"http://127.0.0.1:{stack.ports['OUTBOX_METRICS_PORT']}/metrics"
    fake_slack.script(OUTAGE + RATE_LIMITED)
    firing = [alert(f"SlackDown{i}", now()) for i in range(3)]

    # the webhook is never blocked: the history fills while Slack refuses everything
    send([stack.alertmanager_url], firing)
    eventually(stack, lambda: len(history(stack)) == 3, "three firing records")
    send([stack.alertmanager_url], [resolved(a) for a in firing[:2]])
    eventually(
        stack,
        lambda: sum(r["status"] == "resolved" for r in history(stack)) == 2,
        "two resolved records",
    )
    assert fake_slack.received == []
    assert metric(bridge_metrics, "taskmgr_bridge_outbox_depth") == 5
    eventually(
        stack,
        lambda: metric(worker_metrics, DELIVERIES, outcome="retried") >= 3,
        "failed attempts counted in the worker's metrics",
    )

    settle(fake_slack, 5)

    expected = [("FIRING", f"SlackDown{i}", "api-1") for i in range(3)]
    expected += [("RESOLVED", f"SlackDown{i}", "api-1") for i in range(2)]
    assert_once_each_in_order(fake_slack.received, expected)
    assert_all_sent(history(stack))
    attempts = sorted(fake_slack.attempts, key=lambda a: a.at)
    refused = [a for a in attempts if a.status != 200]
    assert len(refused) == len(OUTAGE) + len(RATE_LIMITED)
    first_ok = next(a for a in attempts if a.status == 200)
    assert first_ok.at - attempts[0].at >= 60, "the outage tested was shorter than a minute"
    for attempt, following in itertools.pairwise(attempts):
        if attempt.status == 429:
            assert following.at - attempt.at >= 2.9, "Retry-After: 3 was not obeyed"
    assert metric(worker_metrics, DELIVERIES, outcome="retried") == len(refused)
    assert metric(worker_metrics, DELIVERIES, outcome="ok") == 5
    assert metric(bridge_metrics, "taskmgr_bridge_outbox_depth") == 0
