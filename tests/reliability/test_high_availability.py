"""High availability: two Alertmanagers clustered on loopback, both notifying both bridge
processes, two delivery workers, one Redis — one record and one Slack message per transition.

Prometheus sends every alert to every Alertmanager; `send` does the same. Whichever peer
notifies (peer timeout 0 s: often both), it notifies both bridges (BRIDGE_URLS) at once, so every
transition reaches the two bridges concurrently: the duplicates the bridges must absorb
are certain, not a matter of gossip timing.
"""

import pytest
import requests

from testkit.ports import free_port
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
from tests.reliability.topology import add_alertmanager, add_bridge, add_worker, metric

pytestmark = pytest.mark.e2e

STORED = "taskmgr_bridge_alerts_stored_total"
RECEIVED = "taskmgr_bridge_webhooks_received_total"


def _peers(alertmanager_url: str) -> int:
    status = requests.get(f"{alertmanager_url}/api/v2/status", timeout=5).json()
    return len(status["cluster"].get("peers") or [])


def test_clustered_alertmanagers_and_two_bridges_give_one_record_and_one_message_per_transition(
    pipeline, fake_slack
):
    second_bridge = free_port()
    stack = pipeline(
        "redis",
        "api",
        "bridge",
        "outbox",
        BRIDGE_URLS=lambda stack: f"{stack.bridge_url},http://127.0.0.1:{second_bridge}",
    )
    bridges = [stack.bridge_url, add_bridge(stack, "bridge2", second_bridge)]
    add_worker(stack, "outbox2")
    gossip = [free_port(), free_port()]
    alertmanagers = [
        add_alertmanager(
            stack, f"alertmanager{i}", cluster_port=gossip[i], peer_ports=[gossip[1 - i]]
        )
        for i in range(2)
    ]
    eventually(
        stack,
        lambda: all(_peers(url) == 2 for url in alertmanagers),
        "the two Alertmanagers to form one cluster",
    )

    started = now()
    group = [alert("HighErrorRate", started, instance=f"api-{i}") for i in range(3)]
    other = alert("HighLatency", started, instance="api-1")
    send(alertmanagers, [*group, other])
    settle(fake_slack, 4)
    # api-0 resolves: both peers re-send the whole group, the two still firing included
    send(alertmanagers, [resolved(group[0])])
    settle(fake_slack, 5)
    send(alertmanagers, [resolved(a) for a in (*group[1:], other)])
    settle(fake_slack, 8)

    expected = [("FIRING", "HighErrorRate", f"api-{i}") for i in range(3)]
    expected += [("RESOLVED", "HighErrorRate", f"api-{i}") for i in range(3)]
    expected += [("FIRING", "HighLatency", "api-1"), ("RESOLVED", "HighLatency", "api-1")]
    assert_once_each_in_order(fake_slack.received, expected)
    records = stack.alerts(page_size=100)
    assert sorted((r["alertname"], r["labels"]["instance"]) for r in records) == sorted(
        [("HighErrorRate", f"api-{i}") for i in range(3)] + [("HighLatency", "api-1")]
    )
    assert all(r["status"] == "resolved" for r in records)
    assert_all_sent(history(stack))
    # both bridges took every transition: one of the two stored it, the other found a duplicate
    for bridge in bridges:
        assert metric(f"{bridge}/metrics", RECEIVED, outcome="accepted") >= 3, bridge
    duplicates = sum(metric(f"{b}/metrics", STORED, transition="duplicate") for b in bridges)
    assert duplicates >= len(expected)
