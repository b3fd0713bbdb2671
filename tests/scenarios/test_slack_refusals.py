"""Slack refusing: 429 with a huge Retry-After must not block the outbox longer than
DELIVERY_MAX_RETRY_AFTER_SECONDS (issue 11, defect 8); 403 (a revoked webhook) must be
visible where no Slack message can say it: the record, the API's /status and the bridge's
/ready."""

import pytest
import requests

from tests.reliability.alerts import (
    alert,
    assert_once_each_in_order,
    eventually,
    history,
    now,
    send,
)
from tests.scenarios.truth import wait_nothing_stuck

pytestmark = pytest.mark.e2e

BOUND = 5  # DELIVERY_MAX_RETRY_AFTER_SECONDS for the test


def test_a_huge_retry_after_holds_the_outbox_only_up_to_the_bound(pipeline, fake_slack):
    stack = pipeline(DELIVERY_MAX_RETRY_AFTER_SECONDS=str(BOUND))
    fake_slack.script([(429, {"Retry-After": "3600"})])
    send([stack.alertmanager_url], [alert("RateLimited", now()), alert("Behind", now())])
    eventually(
        stack,
        lambda: len(fake_slack.received) >= 2,
        f"delivery to resume after at most {BOUND}s, not Slack's 3600",
        timeout=BOUND + 60,
    )
    assert_once_each_in_order(
        fake_slack.received, [("FIRING", "RateLimited", "api-1"), ("FIRING", "Behind", "api-1")]
    )
    wait_nothing_stuck(stack)


def _names_slack_refusing(response: requests.Response) -> bool:
    text = response.text.lower()
    return "slack" in text and ("403" in text or "refused" in text)


def test_slack_refusing_with_403_shows_on_the_record_status_and_readiness(pipeline, fake_slack):
    stack = pipeline()
    fake_slack.script([(403, "invalid_token")] * 50)  # refuses everything while we look
    send([stack.alertmanager_url], [alert("Refused", now())])

    def failed():
        records = [r for r in history(stack) if r["alertname"] == "Refused"]
        return records and records[0]["notifications"][0]["state"] == "failed" and records[0]

    record = eventually(stack, failed, "the record to show the delivery failed")
    assert record["notifications"][0]["last_http_status"] == 403
    wait_nothing_stuck(stack)  # failed is final: nothing retried forever

    status = eventually(
        stack,
        lambda: (
            _names_slack_refusing(r := requests.get(f"{stack.api_url}/status", timeout=5)) and r
        ),
        "the API's /status to name Slack refusing",
    )
    assert status.status_code == 200, status.text  # a healthy API stays in the load balancer
    eventually(
        stack,
        lambda: _names_slack_refusing(requests.get(f"{stack.bridge_url}/ready", timeout=5)),
        "the bridge's /ready to name Slack refusing",
    )
