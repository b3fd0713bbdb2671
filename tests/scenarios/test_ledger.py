"""The delivery ledger through the whole pipeline (issue 13): Prometheus-shaped alerts into
Alertmanager, the bridge, the delivery worker against the Slack stand-in, and the real API
reading the history back — every attempt with its status, the time to page, and
`delivery=` listing what Slack refused."""

from datetime import datetime

import pytest
import requests

from tests.reliability.alerts import alert, eventually, now, send
from tests.scenarios.truth import wait_nothing_stuck

pytestmark = pytest.mark.e2e


def _record(stack, alertname: str, **filters) -> dict | None:
    found = [r for r in stack.alerts(**filters) if r["alertname"] == alertname]
    return found[0] if found else None


def test_retries_are_in_the_ledger_the_page_is_timed_and_a_404_is_listed_as_failed(
    pipeline, fake_slack
):
    stack = pipeline()
    fake_slack.script([(500,), (500,)])
    started = now()
    send([stack.alertmanager_url], [alert("Ledgered", started)])

    paged = eventually(
        stack,
        lambda: _record(stack, "Ledgered", delivery="sent"),
        "the record to be listed as sent after Slack's two 500s",
    )
    ledger = paged["notifications"][0]["ledger"]
    assert [(e["http_status"], e["outcome"]) for e in ledger] == [
        (500, "retry"),
        (500, "retry"),
        (200, "sent"),
    ]
    assert [a.status for a in fake_slack.attempts[:3]] == [500, 500, 200]
    sent_at = datetime.fromisoformat(ledger[-1]["at"])
    starts_at = datetime.fromisoformat(paged["starts_at"])
    assert paged["time_to_page_seconds"] == pytest.approx(
        (sent_at - starts_at).total_seconds(), abs=0.002
    )
    assert paged["time_to_page_seconds"] > 0

    fake_slack.script([(404, "no_service")])
    send([stack.alertmanager_url], [alert("Refused", now())])

    failed = eventually(
        stack,
        lambda: _record(stack, "Refused", delivery="failed"),
        "the record Slack answered 404 to be listed by delivery=failed",
    )
    assert [(e["http_status"], e["outcome"]) for e in failed["notifications"][0]["ledger"]] == [
        (404, "failed")
    ]
    assert failed["time_to_page_seconds"] is None
    assert _record(stack, "Refused", delivery="sent") is None
    assert _record(stack, "Ledgered", delivery="failed") is None
    wait_nothing_stuck(stack)

    # the panel's data: Prometheus scraped the worker's one observed page
    eventually(
        stack,
        lambda: (
            [
                float(s["value"][1])
                for s in stack.query("sum(taskmgr_bridge_time_to_page_seconds_count)")
            ]
            == [1.0]
        ),
        "Prometheus to have the worker's time-to-page histogram with one page",
    )
    response = requests.get(
        f"{stack.api_url}/api/v1/alerts/",
        params={"delivery": "lost"},
        headers=stack.staff_headers(),
        timeout=5,
    )
    assert response.status_code == 400 and list(response.json()) == ["delivery"]
