"""Redis stopped while Alertmanager notifies, and Redis restarted on its append-only file
(the Procfile's and compose's configuration): the history and the outbox come back whole."""

import signal
import time

import pytest
import requests

from alertstore import layout
from tests.bridge import payloads
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
from tests.reliability.topology import kill, metric, start_service

pytestmark = pytest.mark.e2e


def test_redis_down_while_webhooks_arrive_then_the_history_is_complete(pipeline, fake_slack):
    stack = pipeline("redis", "api", "bridge", "outbox", "alertmanager")
    alertmanager = [stack.alertmanager_url]
    before = alert("BeforeOutage", now())
    send(alertmanager, [before])
    fake_slack.wait_for(1, timeout=60)

    kill(stack, "redis", signal.SIGTERM)
    during = [alert(f"DuringOutage{i}", now()) for i in range(3)]
    send(alertmanager, [*during, resolved(before)])
    # the bridge answers 503 and Alertmanager keeps retrying
    eventually(
        stack,
        lambda: (
            metric(
                f"{stack.bridge_url}/metrics",
                "taskmgr_bridge_webhooks_received_total",
                outcome="unavailable",
            )
            >= 4
        ),
        "the bridge to refuse webhooks with 503",
    )
    eventually(
        stack,
        lambda: (
            metric(
                f"{stack.alertmanager_url}/metrics",
                "alertmanager_notification_requests_failed_total",
                integration="webhook",
            )
            >= 4
        ),
        "Alertmanager to count its failed webhook requests",
    )
    start_service(stack, "redis")

    settle(fake_slack, 5)

    expected = [("FIRING", "BeforeOutage", "api-1"), ("RESOLVED", "BeforeOutage", "api-1")]
    expected += [("FIRING", f"DuringOutage{i}", "api-1") for i in range(3)]
    assert_once_each_in_order(fake_slack.received, expected)
    records = stack.alerts(page_size=100)
    assert sorted((r["alertname"], r["status"]) for r in records) == [
        ("BeforeOutage", "resolved"),
        *((f"DuringOutage{i}", "firing") for i in range(3)),
    ]
    assert_all_sent(history(stack))


def _post(stack, *alerts) -> None:
    response = requests.post(
        f"{stack.bridge_url}/webhook",
        json=payloads.webhook(*alerts),
        headers={"Authorization": f"Bearer {stack.env['ALERT_BRIDGE_TOKEN']}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_history_and_outbox_survive_a_redis_restart_on_its_append_only_file(
    pipeline, fake_slack, sig
):
    stack = pipeline("redis", "api", "bridge")  # no delivery worker: messages stay queued
    store = stack.redis()
    assert store.config_get("appendonly") == {"appendonly": "yes"}
    assert store.config_get("appendfsync") == {"appendfsync": "everysec"}
    firing = [
        payloads.alert(alertname=f"Persisted{i}", fingerprint=f"fp{i}", instance="api-1")
        for i in range(5)
    ]
    for item in firing:
        _post(stack, item)
    _post(stack, *(payloads.resolved(item) for item in firing[:2]))
    records = history(stack)
    outbox = store.lrange(layout.OUTBOX_PENDING_KEY, 0, -1)
    listed = stack.alerts(page_size=100)
    assert len(records) == 5
    assert len(outbox) == 7

    if sig == signal.SIGKILL:
        # appendfsync everysec: Redis promises at most about a second of writes lost on a
        # crash; give the background fsync that second (and one more) before pulling the plug.
        time.sleep(2.5)
    kill(stack, "redis", sig)
    start_service(stack, "redis")

    assert history(stack) == records
    assert stack.redis().lrange(layout.OUTBOX_PENDING_KEY, 0, -1) == outbox
    assert stack.alerts(page_size=100) == listed

    start_service(stack, "outbox")  # the queued messages go out once Redis is back
    settle(fake_slack, 7, seconds=3)
    expected = [("FIRING", f"Persisted{i}", "api-1") for i in range(5)]
    expected += [("RESOLVED", f"Persisted{i}", "api-1") for i in range(2)]
    assert_once_each_in_order(fake_slack.received, expected)
    assert_all_sent(history(stack))
