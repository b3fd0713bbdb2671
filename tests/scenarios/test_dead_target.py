"""One live and one dead API target: the dead one is its own page, naming it, and silences
nothing the live one shows (issue 11, defect 2)."""

import pytest

from testkit.ports import free_port
from tests.reliability.alerts import eventually, transitions
from tests.scenarios.conftest import CLIENT_ROUTE, FAULT
from tests.scenarios.truth import assert_pages_true, firing_in_prometheus

pytestmark = pytest.mark.e2e


def test_a_dead_second_target_pages_for_itself_and_silences_nothing(pipeline, traffic):
    dead = free_port()
    stack = pipeline(
        API_TARGETS=lambda stack: f"127.0.0.1:{stack.ports['API_PORT']},127.0.0.1:{dead}"
    )
    dead_instance = f"127.0.0.1:{dead}"
    url = f"{stack.api_url}{CLIENT_ROUTE}"
    traffic(url, 10)
    errors = traffic(url, 10, FAULT)  # half the live instance's answers are 5xx

    def sent(kind: str, alertname: str) -> list:
        return [t for t in transitions(stack.slack.received) if t[:2] == (kind, alertname)]

    eventually(stack, lambda: sent("FIRING", "HighErrorRate"), "a HighErrorRate page")
    down = eventually(stack, lambda: sent("FIRING", "ApiInstanceDown"), "ApiInstanceDown")
    assert [instance for *_, instance in down] == [dead_instance]
    assert not sent("RESOLVED", "ApiDown"), "a resolve read as 'the API is back'"

    errors.set_headers({})
    eventually(stack, lambda: sent("RESOLVED", "HighErrorRate"), "HighErrorRate resolved")
    assert_pages_true(stack, lambda: firing_in_prometheus(stack), "Prometheus' alerts")
    assert ("ApiInstanceDown", dead_instance) in firing_in_prometheus(stack)
    assert not sent("RESOLVED", "ApiDown"), "a resolve read as 'the API is back'"
