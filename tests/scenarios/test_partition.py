"""A partition between Prometheus and the second of two clustered Alertmanagers.

Prometheus sends its alerts through a TcpProxy to each Alertmanager; the second one's is
cut. Prometheus' alerts expire 4 x the alert resend delay after its last send (fast
profile: 1 s, ALERT_RESEND_DELAY), so the partitioned Alertmanager resolves the alert and
notifies that. The other keeps notifying firing: the history must reopen, not drop it
(issue 11, defect 5); after healing, the history and Slack say firing while it fires.
"""

import pytest
import requests

from testkit.ports import free_port
from testkit.tcp_proxy import TcpProxy
from tests.reliability.alerts import eventually
from tests.reliability.topology import add_alertmanager
from tests.scenarios.conftest import CLIENT_ROUTE, FAULT
from tests.scenarios.truth import assert_pages_true, firing_in_prometheus

pytestmark = pytest.mark.e2e

KEY = ("HighErrorRate", None)


def _holds(alertmanager_url: str, alertname: str) -> bool:
    """The Alertmanager has the alert active (its API leaves resolved ones out)."""
    alerts = requests.get(f"{alertmanager_url}/api/v2/alerts", timeout=5).json()
    return any(a["labels"]["alertname"] == alertname for a in alerts)


def test_a_partitioned_alertmanager_never_leaves_a_firing_alert_resolved(pipeline, traffic):
    with TcpProxy() as first, TcpProxy() as second:
        stack = pipeline(
            "redis",
            "api",
            "bridge",
            "outbox",
            "prometheus",
            ALERTMANAGER_TARGETS=f"{first.address},{second.address}",
        )
        gossip = [free_port(), free_port()]
        alertmanagers = [
            add_alertmanager(
                stack, f"alertmanager{i}", cluster_port=gossip[i], peer_ports=[gossip[1 - i]]
            )
            for i in range(2)
        ]
        for proxy, url in zip((first, second), alertmanagers, strict=True):
            proxy.forward_to(int(url.rsplit(":", 1)[1]))
        truth = lambda: firing_in_prometheus(stack)  # noqa: E731

        traffic(f"{stack.api_url}{CLIENT_ROUTE}", 20, FAULT)
        eventually(stack, lambda: all(_holds(u, KEY[0]) for u in alertmanagers), "both hold it")
        assert_pages_true(stack, truth, "Prometheus' alerts")

        second.cut()
        eventually(
            stack,
            lambda: not _holds(alertmanagers[1], KEY[0]),
            "the partitioned Alertmanager to let the alert expire (4 x ALERT_RESEND_DELAY)",
            timeout=60,
        )
        assert _holds(alertmanagers[0], KEY[0])
        assert_pages_true(stack, truth, "Prometheus' alerts, during the partition")

        second.heal()
        eventually(stack, lambda: _holds(alertmanagers[1], KEY[0]), "the alert back after healing")
        assert_pages_true(stack, truth, "Prometheus' alerts, after healing")
        assert KEY in truth()
