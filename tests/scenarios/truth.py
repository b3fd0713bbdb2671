"""What the person on call sees, checked against what is really going on.

An alert is keyed `(alertname, instance)` (instance None for alerts over the whole API).
Its real state is what the sender holds: Prometheus' firing alerts for rule-driven
scenarios, the test's own list for alerts it sent to Alertmanager itself. After each
scenario: Slack's last message about each alert matches that state within one group
interval, every record of an alert that is gone is resolved, one message per transition,
nothing left in the outbox.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import requests

from alertstore import layout
from testkit.stack import Stack
from tests.reliability.alerts import eventually, history, transitions

Key = tuple[str, str | None]

# The fast profile's group_interval is 5 s; a transition must reach Slack within one of
# them plus delivery, on a machine shared by many tests: generous, still far below any
# default that would hide a wrong last word (cooldown 900 s, resend expiry).
WITHIN_GROUP_INTERVAL = 30
NOT_INCIDENTS = {"Heartbeat"}  # the pipeline's own always-firing rule: never a page


def firing_in_prometheus(stack: Stack) -> set[Key]:
    response = requests.get(f"{stack.prometheus_url}/api/v1/alerts", timeout=5)
    response.raise_for_status()
    return {
        (a["labels"]["alertname"], a["labels"].get("instance"))
        for a in response.json()["data"]["alerts"]
        if a["state"] == "firing" and a["labels"]["alertname"] not in NOT_INCIDENTS
    }


def last_words(messages: list[dict]) -> dict[Key, str]:
    """The kind of the newest Slack message per alert: FIRING, STILL FIRING or RESOLVED."""
    words: dict[Key, str] = {}
    for kind, alertname, instance in transitions(messages):
        words[(alertname, instance)] = kind
    return words


def slack_says_firing(messages: list[dict]) -> set[Key]:
    return {key for key, kind in last_words(messages).items() if kind != "RESOLVED"}


def assert_one_message_per_transition(messages: list[dict]) -> None:
    """Per alert: FIRING first, then FIRING and RESOLVED alternate (reminders in between)."""
    by_alert: dict[Key, list[str]] = {}
    for kind, alertname, instance in transitions(messages):
        if kind != "STILL FIRING":
            by_alert.setdefault((alertname, instance), []).append(kind)
    for key, kinds in by_alert.items():
        assert kinds[0] == "FIRING", (key, kinds)
        repeated = [a for a, b in itertools.pairwise(kinds) if a == b]
        assert not repeated, f"{key}: the same transition sent twice: {kinds}"


def wait_slack_tells(stack: Stack, truth: Callable[[], set[Key]], what: str) -> None:
    """Slack's last word about every alert is its real state (polled, since both move)."""

    def agrees() -> bool:
        firing = truth()
        said = slack_says_firing(stack.slack.received)
        return said == firing

    try:
        eventually(stack, agrees, f"Slack's last words to match {what}", WITHIN_GROUP_INTERVAL)
    except AssertionError as exc:
        said = last_words(stack.slack.received)
        raise AssertionError(f"{exc}\nreal: {truth()}\nSlack's last words: {said}") from None


def firing_records(stack: Stack) -> set[Key]:
    return {
        (r["alertname"], r["labels"].get("instance"))
        for r in history(stack)
        if r["status"] == "firing" and r["alertname"] not in NOT_INCIDENTS
    }


def wait_history_tells(stack: Stack, truth: Callable[[], set[Key]], what: str) -> None:
    """The history's firing records are exactly the alerts that fire, none left over."""
    try:
        eventually(
            stack,
            lambda: firing_records(stack) == truth(),
            f"the history to match {what}",
            WITHIN_GROUP_INTERVAL,
        )
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}\nreal: {truth()}\nfiring records: {firing_records(stack)}"
        ) from None


def outbox_left(stack: Stack) -> dict[str, int]:
    redis = stack.redis()
    return {
        "pending": redis.llen(layout.OUTBOX_PENDING_KEY),
        "processing": redis.llen(layout.OUTBOX_PROCESSING_KEY),
    }


def wait_nothing_stuck(stack: Stack) -> None:
    """The outbox drains and no notification is left pending."""

    def drained() -> bool:
        owed = [n for r in history(stack) for n in r["notifications"] if n["state"] == "pending"]
        return not owed and outbox_left(stack) == {"pending": 0, "processing": 0}

    try:
        eventually(stack, drained, "an empty outbox", WITHIN_GROUP_INTERVAL)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\noutbox: {outbox_left(stack)}") from None


def assert_pages_true(stack: Stack, truth: Callable[[], set[Key]], what: str) -> None:
    """Everything a scenario ends with: Slack, the history and the outbox tell the truth."""
    wait_slack_tells(stack, truth, what)
    wait_history_tells(stack, truth, what)
    wait_nothing_stuck(stack)
    assert_one_message_per_transition(stack.slack.received)
