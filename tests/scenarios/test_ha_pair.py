"""A Prometheus pair and clustered Alertmanagers (issue 14, docs/ha.md "Prometheus pair and
Alertmanager cluster"): two Prometheus (PROMETHEUS_REPLICAS=a,b, the Procfile's own line
run once per replica), two Alertmanagers gossiping (ALERTMANAGER_CLUSTER_PEERS), two
bridges, two delivery workers, one Redis, Slack = FakeSlack.

Both Prometheus evaluate the same rule and send their copy (each with its own startsAt) to
both Alertmanagers: one 5xx burst must still give one record, one FIRING and one RESOLVED,
and so must a burst during which one Prometheus is killed.
"""

import time
from datetime import datetime

import pytest
import requests

from stack.procfile import with_env
from testkit.ports import free_port
from tests.reliability.alerts import eventually, history, transitions
from tests.reliability.topology import COMMANDS, add_bridge, add_worker, answers, kill
from tests.scenarios.conftest import CLIENT_ROUTE, FAULT
from tests.scenarios.truth import assert_one_message_per_transition, wait_nothing_stuck

pytestmark = pytest.mark.e2e

ALERT = "HighErrorRate"


def _add(stack, name: str, service: str, port: int, **env: str) -> str:
    """Another instance of a Procfile service (Prometheus, Alertmanager) on `port`, `env`
    winning over its env file; its URL."""
    url = f"http://127.0.0.1:{port}"
    command = with_env(COMMANDS[service], **env)
    stack.start_process(name, command, lambda: answers(f"{url}/-/ready"))
    return url


def _held(prometheus_url: str) -> list[dict]:
    """ALERT as this Prometheus holds it (pending or firing; kept firing included)."""
    alerts = requests.get(f"{prometheus_url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return [a for a in alerts if a["labels"]["alertname"] == ALERT]


def _firing_startsat(prometheus_url: str) -> datetime | None:
    """When this Prometheus says ALERT started, while it fires there (None otherwise)."""
    for a in _held(prometheus_url):
        if a["state"] == "firing":
            return datetime.fromisoformat(a["activeAt"].replace("Z", "+00:00"))
    return None


def _both_firing(prometheis: list[str]) -> list[datetime] | None:
    starts = [_firing_startsat(url) for url in prometheis]
    return starts if all(starts) else None


def _messages(stack) -> list[str]:
    return [kind for kind, name, _ in transitions(stack.slack.received) if name == ALERT]


def _records(stack) -> list[dict]:
    return [r for r in history(stack) if r["alertname"] == ALERT]


def _peers(url: str) -> int:
    status = requests.get(f"{url}/api/v2/status", timeout=5).json()
    return len(status["cluster"].get("peers") or [])


def _story(stack) -> tuple:
    """What Slack and the history say, for a failure message."""
    return (
        transitions(stack.slack.received),
        [
            (
                r["alertname"],
                r["starts_at"],
                r["status"],
                r["resolution"],
                r["ends_at"],
                [(n["kind"], n["enqueued_at"]) for n in r["notifications"]],
            )
            for r in history(stack)
        ],
    )


def _nothing_doubles(stack) -> None:
    """Never two firing records of one label set, whatever fired alongside (the SLO burn
    alerts, OutboxNotDraining), and per alert FIRING and RESOLVED alternate."""
    records = [r for r in history(stack) if r["alertname"] != "Heartbeat"]
    firing = [r["fingerprint"] for r in records if r["status"] == "firing"]
    assert len(firing) == len(set(firing)), _story(stack)
    assert_one_message_per_transition(stack.slack.received)


def _incident(stack, traffic, prometheis, during=None) -> list[datetime]:
    """One 5xx burst until both replicas fire ALERT, `during()`, then calm until Slack says
    RESOLVED. Returns the replicas' startsAt (for failure messages).

    It starts once neither replica holds ALERT any more: a burst while one still keeps the
    last one firing (keep_firing_for) continues that instance, rightly, in its record."""
    eventually(stack, lambda: not any(_held(url) for url in prometheis), f"{ALERT} gone from both")
    before = len(_messages(stack))
    client = traffic(f"{stack.api_url}{CLIENT_ROUTE}", 20, FAULT)
    eventually(stack, lambda: len(_messages(stack)) > before, f"{ALERT} FIRING in Slack")
    starts = eventually(
        stack,
        lambda: _both_firing(prometheis),
        f"{ALERT} firing in both Prometheus",
    )
    if during:
        during()
    client.stop()
    eventually(stack, lambda: _messages(stack)[before:] == ["FIRING", "RESOLVED"], "one RESOLVED")
    return starts


def test_a_prometheus_pair_and_clustered_alertmanagers_page_and_resolve_once(pipeline, traffic):
    bridge_b, alertmanager_b, prometheus_b = free_port(), free_port(), free_port()
    gossip = [free_port(), free_port()]
    stack = pipeline(
        PROMETHEUS_REPLICAS="a,b",
        PROMETHEUS_REPLICA="a",
        BRIDGE_URLS=lambda s: f"{s.bridge_url},http://127.0.0.1:{bridge_b}",
        ALERTMANAGER_TARGETS=lambda s: (
            f"127.0.0.1:{s.ports['ALERTMANAGER_PORT']},127.0.0.1:{alertmanager_b}"
        ),
        ALERTMANAGER_CLUSTER_PORT=str(gossip[0]),
        ALERTMANAGER_CLUSTER_PEERS=",".join(f"127.0.0.1:{port}" for port in gossip),
    )
    add_bridge(stack, "bridge-b", bridge_b)
    add_worker(stack, "outbox-b")
    second_alertmanager = _add(
        stack,
        "alertmanager-b",
        "alertmanager",
        alertmanager_b,
        ALERTMANAGER_PORT=str(alertmanager_b),
        ALERTMANAGER_STORAGE_DIR=str(stack.tmp / "alertmanager-b"),
        ALERTMANAGER_CLUSTER_LISTEN_ADDRESS=f"127.0.0.1:{gossip[1]}",
    )
    prometheis = [
        stack.prometheus_url,  # the Procfile's line as the stack started it: replica a
        _add(
            stack,
            "prometheus-b",
            "prometheus",
            prometheus_b,
            PROMETHEUS_REPLICA="b",
            PROMETHEUS_PORT=str(prometheus_b),
            PROMETHEUS_STORAGE_DIR=str(stack.tmp / "prometheus-b"),
        ),
    ]
    eventually(
        stack,
        lambda: all(_peers(url) == 2 for url in (stack.alertmanager_url, second_alertmanager)),
        "the two Alertmanagers to form one cluster",
    )

    first = _incident(stack, traffic, prometheis)

    assert [(r["status"], [n["kind"] for n in r["notifications"]]) for r in _records(stack)] == [
        ("resolved", ["firing", "resolved"])
    ], f"replicas' startsAt {first}"

    # mid-incident, replica a dies: b alone carries the alert to its resolve
    second = _incident(stack, traffic, prometheis, during=lambda: kill(stack, "prometheus"))
    time.sleep(10)  # two group intervals: a wrong extra message would show by now

    assert len(_records(stack)) == 2, (second, _story(stack))
    newest, oldest = _records(stack)
    assert [n["kind"] for n in newest["notifications"]] == ["firing", "resolved"], _story(stack)
    assert (newest["status"], oldest["status"]) == ("resolved", "resolved")
    assert _messages(stack) == ["FIRING", "RESOLVED", "FIRING", "RESOLVED"]
    _nothing_doubles(stack)
    wait_nothing_stuck(stack)
