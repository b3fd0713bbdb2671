"""A Prometheus HA pair, whole processes (issue 14): one incident, one record, one FIRING and
one RESOLVED; a second incident during which one Prometheus is killed resolves once.

Every process is a Procfile line on the rendered configuration (`PROMETHEUS_REPLICAS=a,b`,
`ALERTMANAGER_CLUSTER_PEERS`, `BRIDGE_URLS` and `ALERTMANAGER_TARGETS` naming both of each):
Prometheus a and b (`PROMETHEUS_REPLICA` picks each one's config), two Alertmanagers
gossiping with the default peer timeout, two bridges, two delivery workers (both
reconciling), one API with fault injection, one Redis; Slack is the stand-in. The burst is
real 5xx traffic, so both replicas evaluate HighErrorRate on their own scrapes and stamp
their own startsAt (docs/ha.md "Prometheus pair and Alertmanager cluster").
"""

from __future__ import annotations

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
# After the last expected message: more than a group interval (5 s) and several reconcile
# rounds (2 s) with their warm-up (3 s), for a wrong extra message to show up.
SETTLE_SECONDS = 15


def _loopback(port: int) -> str:
    return f"127.0.0.1:{port}"


def _peers(alertmanager_url: str) -> int:
    status = requests.get(f"{alertmanager_url}/api/v2/status", timeout=5).json()
    return len(status["cluster"].get("peers") or [])


def _holds(prometheus_url: str) -> bool:
    """This replica holds the alert (pending, firing or kept firing)."""
    response = requests.get(f"{prometheus_url}/api/v1/alerts", timeout=5)
    response.raise_for_status()
    return any(a["labels"]["alertname"] == ALERT for a in response.json()["data"]["alerts"])


def _one_alert_each(alertmanagers: list[str]) -> bool:
    """Every Alertmanager holds the alert once, without the `replica` label."""
    for url in alertmanagers:
        alerts = requests.get(f"{url}/api/v2/alerts", timeout=5).json()
        mine = [a["labels"] for a in alerts if a["labels"]["alertname"] == ALERT]
        if len(mine) != 1 or "replica" in mine[0]:
            return False
    return True


def _kinds(stack) -> list[str]:
    """Slack's messages about the alert, in arrival order: FIRING, RESOLVED, ..."""
    return [kind for kind, name, _ in transitions(stack.slack.received) if name == ALERT]


def _records(stack) -> list[dict]:
    """The alert's records through the API, oldest first."""
    mine = [r for r in stack.alerts(page_size=100) if r["alertname"] == ALERT]
    return sorted(mine, key=lambda r: datetime.fromisoformat(r["starts_at"]))


def _states(stack) -> list[str]:
    return [r["status"] for r in _records(stack)]


def _start_pair(pipeline):
    """The whole pair; returns the stack, the Prometheus URLs by replica and the
    Alertmanagers' URLs."""
    ports = {name: free_port() for name in ("bridge2", "prometheus_b", "am2", "gossip1", "gossip2")}
    prometheus = {"b": f"http://{_loopback(ports['prometheus_b'])}"}
    stack = pipeline(
        "redis",
        "api",
        "bridge",
        "outbox",
        "alertmanager",
        PROMETHEUS_REPLICAS="a,b",
        PROMETHEUS_URLS=lambda s: f"{s.prometheus_url},{prometheus['b']}",
        BRIDGE_URLS=lambda s: f"{s.bridge_url},http://{_loopback(ports['bridge2'])}",
        ALERTMANAGER_TARGETS=lambda s: (
            f"{_loopback(s.ports['ALERTMANAGER_PORT'])},{_loopback(ports['am2'])}"
        ),
        ALERTMANAGER_CLUSTER_PORT=str(ports["gossip1"]),
        ALERTMANAGER_CLUSTER_PEERS=f"{_loopback(ports['gossip1'])},{_loopback(ports['gossip2'])}",
    )
    add_bridge(stack, "bridge2", ports["bridge2"])
    add_worker(stack, "outbox2")
    second_am = f"http://{_loopback(ports['am2'])}"
    stack.start_process(
        "alertmanager2",
        with_env(
            COMMANDS["alertmanager"],
            ALERTMANAGER_PORT=str(ports["am2"]),
            ALERTMANAGER_EXTERNAL_URL=second_am,
            ALERTMANAGER_STORAGE_DIR=str(stack.tmp / "alertmanager2"),
            ALERTMANAGER_CLUSTER_LISTEN_ADDRESS=_loopback(ports["gossip2"]),
        ),
        lambda: answers(f"{second_am}/-/ready"),
    )
    alertmanagers = [stack.alertmanager_url, second_am]
    prometheus["a"] = stack.prometheus_url
    for replica, port in (("a", stack.ports["PROMETHEUS_PORT"]), ("b", ports["prometheus_b"])):
        stack.start_process(
            f"prometheus-{replica}",
            with_env(
                COMMANDS["prometheus"],
                PROMETHEUS_REPLICA=replica,
                PROMETHEUS_PORT=str(port),
                PROMETHEUS_STORAGE_DIR=str(stack.tmp / f"prometheus-{replica}"),
            ),
            lambda url=prometheus[replica]: answers(f"{url}/-/ready"),
        )
    eventually(
        stack,
        lambda: all(_peers(url) == 2 for url in alertmanagers),
        "the two Alertmanagers to form one cluster",
    )
    return stack, prometheus, alertmanagers


def _wait(stack, predicate, what: str) -> None:
    eventually(stack, predicate, f"{what} (Slack: {_kinds(stack)}, records: {_states(stack)})")


def _settled(stack, kinds: list[str]) -> None:
    """Nothing more reaches Slack for a while after the last expected message."""
    time.sleep(SETTLE_SECONDS)
    assert _kinds(stack) == kinds, stack.logs()  # the bridges log each held or dropped one


def test_a_prometheus_pair_pages_each_transition_once_even_when_one_dies_mid_incident(
    pipeline, traffic
):
    stack, prometheus, alertmanagers = _start_pair(pipeline)
    client = traffic(f"{stack.api_url}{CLIENT_ROUTE}", 20, FAULT)

    # --- one incident: one record, one FIRING, one RESOLVED ------------------------------
    _wait(stack, lambda: _kinds(stack) == ["FIRING"], "the first FIRING")
    assert _states(stack) == ["firing"]
    _wait(stack, lambda: all(_holds(url) for url in prometheus.values()), "both replicas fire")
    _wait(stack, lambda: _one_alert_each(alertmanagers), "one alert in each Alertmanager")
    client.set_headers({})  # the burst is over; clean traffic keeps the rate up
    _wait(stack, lambda: _kinds(stack) == ["FIRING", "RESOLVED"], "one RESOLVED")
    _wait(stack, lambda: _states(stack) == ["resolved"], "the record resolved")
    # the next burst would continue an instance a replica still keeps firing
    _wait(stack, lambda: not any(_holds(url) for url in prometheus.values()), "both clear")
    _settled(stack, ["FIRING", "RESOLVED"])
    assert _states(stack) == ["resolved"]

    # --- a second incident; Prometheus a is killed while it fires --------------------------
    client.set_headers(FAULT)
    _wait(stack, lambda: _kinds(stack) == ["FIRING", "RESOLVED", "FIRING"], "the second FIRING")
    _wait(stack, lambda: _holds(prometheus["b"]), "replica b firing")
    kill(stack, "prometheus-a")
    assert _states(stack) == ["resolved", "firing"]
    client.set_headers({})
    _wait(
        stack,
        lambda: _kinds(stack) == ["FIRING", "RESOLVED", "FIRING", "RESOLVED"],
        "the second RESOLVED, through replica b alone",
    )
    _wait(stack, lambda: _states(stack) == ["resolved", "resolved"], "both records resolved")
    _settled(stack, ["FIRING", "RESOLVED", "FIRING", "RESOLVED"])
    first, second = _records(stack)
    assert (first["status"], second["status"]) == ("resolved", "resolved")
    moments = [first["starts_at"], first["ends_at"], second["starts_at"], second["ends_at"]]
    assert [datetime.fromisoformat(m) for m in moments] == sorted(
        datetime.fromisoformat(m) for m in moments
    )
    everything = history(stack)  # the SLO burn alerts fire alongside: none doubles either
    # either resolve may be Alertmanager's or inferred by reconciliation (the instance gone
    # from both before the group's next notification): one message either way
    assert_one_message_per_transition(stack.slack.received)
    firing = [(r["alertname"], r["fingerprint"]) for r in everything if r["status"] == "firing"]
    assert len(firing) == len(set(firing)), f"two firing records of one alert: {firing}"
    wait_nothing_stuck(stack)
