"""The Slack stand-in answers like Slack: a fake that lies makes every test that uses it lie."""

import json
import time

import pytest
import requests

from testkit.slack import FakeSlack, validate

MESSAGE = {"text": "[FIRING] HighErrorRate"}


def test_valid_message_gets_200_ok_and_is_recorded(fake_slack):
    response = requests.post(fake_slack.url, json=MESSAGE, timeout=5)

    assert (response.status_code, response.text) == (200, "ok")
    assert response.headers["Content-Type"].startswith("text/html")
    assert fake_slack.received == [MESSAGE]
    assert fake_slack.attempts[0].status == 200
    assert "/services/" in fake_slack.url


def test_messages_are_kept_in_arrival_order(fake_slack):
    for i in range(3):
        requests.post(fake_slack.url, json={"text": f"m{i}"}, timeout=5)

    assert [m["text"] for m in fake_slack.wait_for(3)] == ["m0", "m1", "m2"]


def test_rate_limit_answers_429_with_retry_after_then_recovers(fake_slack):
    fake_slack.script([(429, {"Retry-After": "2"})])

    limited = requests.post(fake_slack.url, json=MESSAGE, timeout=5)
    after = requests.post(fake_slack.url, json=MESSAGE, timeout=5)

    assert (limited.status_code, limited.text) == (429, "rate_limited")
    assert limited.headers["Retry-After"] == "2"
    assert after.status_code == 200
    assert fake_slack.received == [MESSAGE]  # the refused one was not posted
    assert [a.status for a in fake_slack.attempts] == [429, 200]


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_answered_and_not_recorded_as_received(fake_slack, status):
    fake_slack.script([(status,)])

    response = requests.post(fake_slack.url, json=MESSAGE, timeout=5)

    assert response.status_code == status
    assert fake_slack.received == []
    assert fake_slack.attempts[0].status == status
    assert fake_slack.attempts[0].json() == MESSAGE


def test_scripted_error_body_is_returned(fake_slack):
    fake_slack.script([(400, "invalid_payload")])

    response = requests.post(fake_slack.url, json=MESSAGE, timeout=5)

    assert (response.status_code, response.text) == (400, "invalid_payload")


def test_slow_answer_arrives_late_but_is_accepted(fake_slack):
    fake_slack.script([("slow", 0.5)])

    started = time.monotonic()
    response = requests.post(fake_slack.url, json=MESSAGE, timeout=10)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.5  # a lower bound only: the fake slept that long
    assert fake_slack.received == [MESSAGE]


def test_timeout_never_answers_and_posts_nothing(fake_slack):
    fake_slack.script([("timeout", 2)])

    with pytest.raises(requests.exceptions.RequestException):
        requests.post(fake_slack.url, json=MESSAGE, timeout=0.5)

    attempt_deadline = time.monotonic() + 10
    while not fake_slack.attempts and time.monotonic() < attempt_deadline:
        time.sleep(0.05)
    assert fake_slack.attempts[0].status is None
    assert fake_slack.received == []


def test_invalid_payloads_are_refused_like_slack(fake_slack):
    not_json = requests.post(fake_slack.url, data=b"{not json", timeout=5)
    no_text = requests.post(fake_slack.url, json={"username": "bot"}, timeout=5)
    wrong_path = requests.post(fake_slack.url + "nope", json=MESSAGE, timeout=5)

    assert (not_json.status_code, not_json.text) == (400, "invalid_payload")
    assert (no_text.status_code, no_text.text) == (400, "no_text")
    assert (wrong_path.status_code, wrong_path.text) == (404, "no_service")
    assert fake_slack.received == []
    assert len(fake_slack.attempts) == 3


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ([MESSAGE], "invalid_payload"),
        (
            {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]},
            "invalid_blocks",
        ),
        (
            {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]},
            "invalid_blocks",
        ),
        ({"blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
        ({"blocks": [{"text": "no type"}]}, "invalid_blocks"),
        ({"attachments": [{"blocks": [{"type": "section"}]}]}, "invalid_blocks"),
        ({"attachments": "red"}, "invalid_payload"),
    ],
)
def test_validation_refuses_what_slack_refuses(message, error):
    assert validate(json.dumps(message).encode()) == error


@pytest.mark.parametrize(
    "message",
    [
        {"text": "plain"},
        {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3000}}]},
        {"attachments": [{"color": "#ff0000", "blocks": [{"type": "divider"}]}]},
    ],
)
def test_validation_accepts_what_slack_accepts(message):
    assert validate(json.dumps(message).encode()) is None


def test_script_entries_are_consumed_in_order_then_default_200(fake_slack):
    fake_slack.script([(503,), (429, {"Retry-After": "1"})])

    statuses = [
        requests.post(fake_slack.url, json=MESSAGE, timeout=5).status_code for _ in range(3)
    ]

    assert statuses == [503, 429, 200]


def test_bad_script_entry_is_refused_and_queues_nothing(fake_slack):
    with pytest.raises(ValueError, match="HTTP status"):
        fake_slack.script([(503,), ("sometimes",)])

    assert requests.post(fake_slack.url, json=MESSAGE, timeout=5).status_code == 200


def test_wait_for_reports_what_arrived_when_too_few(fake_slack):
    requests.post(fake_slack.url, json=MESSAGE, timeout=5)

    with pytest.raises(AssertionError, match=r"expected 2 Slack messages .* got 1"):
        fake_slack.wait_for(2, timeout=0.3)


def test_close_stops_listening():
    slack = FakeSlack()
    slack.close()

    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(slack.url, json=MESSAGE, timeout=2)
