"""The bridge's web app or its delivery worker killed (SIGKILL) in the middle of a stream of
alerts and restarted: every transition ends up stored once and sent to Slack once."""

import time

import pytest

from alertstore import layout
from tests.reliability.alerts import (
    alert,
    assert_all_sent,
    assert_once_each_in_order,
    by_alert,
    eventually,
    history,
    now,
    resolved,
    send,
    settle,
)
from tests.reliability.topology import kill, metric, start_service

pytestmark = pytest.mark.e2e


def _sent(stack) -> int:
    return sum(n["state"] == "sent" for r in history(stack) for n in r["notifications"])


def _expected(firing: int, resolved_: int) -> list[tuple]:
    return [("FIRING", f"Stream{i}", "api-1") for i in range(firing)] + [
        ("RESOLVED", f"Stream{i}", "api-1") for i in range(resolved_)
    ]


def test_bridge_killed_mid_stream_and_restarted_loses_nothing_and_sends_nothing_twice(
    pipeline, fake_slack
):
    stack = pipeline("redis", "bridge", "outbox", "alertmanager")
    alertmanager = [stack.alertmanager_url]
    stream = [alert(f"Stream{i}", now()) for i in range(12)]

    for i, item in enumerate(stream):
        send(alertmanager, [item])  # one group each: one webhook each
        if i == 3:
            eventually(stack, lambda: history(stack), "the first records")
            kill(stack, "bridge")  # webhooks now fail: connection refused
        if i == 8:
            start_service(stack, "bridge")
        time.sleep(0.5)
    eventually(stack, lambda: len(history(stack)) == 12, "all twelve alerts in the history")
    # the kill did land mid-stream: Alertmanager saw webhooks fail and retried them
    failed = "alertmanager_notification_requests_failed_total"
    assert metric(f"{stack.alertmanager_url}/metrics", failed, integration="webhook") >= 1
    send(alertmanager, [resolved(item) for item in stream[:6]])

    settle(fake_slack, 18)

    assert_once_each_in_order(fake_slack.received, _expected(12, 6))
    records = history(stack)
    assert all(len(same) == 1 for same in by_alert(records).values())
    assert_all_sent(records)


def test_delivery_worker_killed_mid_delivery_and_restarted_sends_each_message_once(
    pipeline, fake_slack
):
    # The fourth message is held unanswered; the worker is killed while it waits for Slack,
    # i.e. outside the one window (Slack's 2xx → the ack script) where a resend is possible.
    fake_slack.script([(200,)] * 3 + [("timeout", 30)])
    stack = pipeline(
        "redis",
        "bridge",
        "outbox",
        "alertmanager",
        SLACK_TIMEOUT_SECONDS="10",
        DELIVERY_LEASE_SECONDS="12",
    )
    alertmanager = [stack.alertmanager_url]
    stream = [alert(f"Stream{i}", now()) for i in range(6)]
    send(alertmanager, stream)
    store = stack.redis()
    eventually(
        stack,
        lambda: _sent(stack) == 3 and store.llen(layout.OUTBOX_PROCESSING_KEY) == 1,
        "three messages sent and the fourth in delivery",
    )

    kill(stack, "outbox")
    assert store.llen(layout.OUTBOX_PROCESSING_KEY) == 1  # the killed worker's entry
    send(alertmanager, [resolved(item) for item in stream[:3]])  # more arrive meanwhile
    eventually(
        stack,
        lambda: sum(r["status"] == "resolved" for r in history(stack)) == 3,
        "three resolved records",
    )
    start_service(stack, "outbox")  # takes over once the dead worker's lease expires

    settle(fake_slack, 9)

    assert_once_each_in_order(fake_slack.received, _expected(6, 3))
    assert_all_sent(history(stack))
    assert store.llen(layout.OUTBOX_PROCESSING_KEY) + store.llen(layout.OUTBOX_PENDING_KEY) == 0
