"""A flap: fire, resolve, fire again inside the cooldown. Slack's last word is FIRING while
it fires, and the newest record counts the flap (issue 11, defect 4)."""

import pytest

from tests.reliability.alerts import eventually, history, transitions
from tests.scenarios.conftest import CLIENT_ROUTE, FAULT
from tests.scenarios.truth import assert_pages_true, firing_in_prometheus, last_words

pytestmark = pytest.mark.e2e


def test_a_re_fire_inside_the_cooldown_is_paged_and_counted(pipeline, traffic):
    stack = pipeline()  # ALERT_COOLDOWN_SECONDS=900: everything below is inside it
    client = traffic(f"{stack.api_url}{CLIENT_ROUTE}", 20, FAULT)
    key = ("HighErrorRate", None)

    def said(kinds: list[str]) -> bool:
        got = [k for k, *alert in transitions(stack.slack.received) if tuple(alert) == key]
        return got == kinds

    eventually(stack, lambda: said(["FIRING"]), "the first FIRING")
    client.set_headers({})
    eventually(stack, lambda: said(["FIRING", "RESOLVED"]), "RESOLVED")
    client.set_headers(FAULT)
    eventually(stack, lambda: key in firing_in_prometheus(stack), "firing again in Prometheus")
    assert_pages_true(stack, lambda: firing_in_prometheus(stack), "Prometheus' alerts")
    assert last_words(stack.slack.received)[key] == "FIRING"
    newest = max(
        (r for r in history(stack) if r["alertname"] == key[0]), key=lambda r: r["starts_at"]
    )
    assert newest["status"] == "firing"
    assert newest.get("flaps", 0) >= 1, newest

    client.set_headers({})
    eventually(stack, lambda: key not in firing_in_prometheus(stack), "the end of the flap")
    assert_pages_true(stack, lambda: firing_in_prometheus(stack), "Prometheus' alerts")
