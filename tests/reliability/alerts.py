"""Alerts sent the way Prometheus sends them, and what came out: Slack messages, history.

Prometheus POSTs its alerts to every Alertmanager's `/api/v2/alerts` with `startsAt` (and
`endsAt` in the past once resolved); `send` does the same, so the rest of the pipeline
(grouping, dedup, webhook retries, the bridge) runs for real without waiting for rules.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

import requests

from alertstore import reader
from testkit.polling import wait_until
from testkit.stack import Stack

DEADLINE = 120  # seconds for any one step: generous, the machine is shared


def now() -> datetime:
    return datetime.now(UTC)


def alert(alertname: str, starts_at: datetime, *, instance: str = "api-1") -> dict:
    """A firing alert as Prometheus sends it (labels in the contract's shape)."""
    return {
        "labels": {
            "alertname": alertname,
            "severity": "error",
            "instance": instance,
        },
        "annotations": {"summary": f"{alertname} on {instance}", "value": "37.5", "threshold": "5"},
        "startsAt": starts_at.isoformat(),
    }


def resolved(firing: dict) -> dict:
    return {**firing, "endsAt": now().isoformat()}


def send(alertmanager_urls: list[str], alerts: list[dict]) -> None:
    for url in alertmanager_urls:
        response = requests.post(f"{url}/api/v2/alerts", json=alerts, timeout=5)
        response.raise_for_status()


# --- what Slack received ----------------------------------------------------------------


def instance_of(message: dict) -> str | None:
    for block in message["attachments"][0]["blocks"]:
        for field in block.get("fields", []):
            name, _, value = field["text"].partition("\n")
            if name == "*Instance*":
                return value
    return None


def transitions(messages: list[dict]) -> list[tuple[str, str, str | None]]:
    """(kind, alertname, instance) per message, in arrival order: `("FIRING", "A", "api-1")`."""
    result = []
    for message in alert_messages(messages):
        subject = message["text"].split(" — ")[0]  # "[FIRING] HighErrorRate on api-1"
        kind, _, alertname = subject[1:].partition("] ")
        instance = instance_of(message)
        result.append((kind, alertname.removesuffix(f" on {instance}"), instance))
    return result


def alert_messages(messages: list[dict]) -> list[dict]:
    """The alerts' messages, without the pipeline's own notices ("[PIPELINE BROKEN]" …):
    these stacks run no Prometheus, so the heartbeat monitor rightly says it is missing."""
    return [m for m in messages if not m["text"].startswith("[PIPELINE ")]


def assert_once_each_in_order(messages: list[dict], expected: list[tuple]) -> None:
    """Exactly the expected (kind, alertname, instance) messages, none twice, and per alert
    its firing before its resolved."""
    got = transitions(messages)
    twice = [t for t, n in Counter(got).items() if n > 1]
    assert not twice, f"sent more than once: {twice}"
    assert sorted(got, key=str) == sorted(expected, key=str), got
    for _, alertname, instance in expected:
        kinds = [k for k, a, i in got if (a, i) == (alertname, instance)]
        assert kinds in (["FIRING"], ["FIRING", "RESOLVED"]), (alertname, instance, kinds)


def settle(slack, expected: int, seconds: float = 8.0) -> None:
    """Wait for `expected` messages, then a while longer for a wrong extra one to show up
    (one group_interval and more: the moment Alertmanager would re-send)."""
    slack.wait_for(expected, timeout=DEADLINE)
    time.sleep(seconds)


# --- the history ------------------------------------------------------------------------


def history(stack: Stack) -> list[dict]:
    """Every record, newest first, read from Redis the way the API reads it."""
    total, records = reader.list_alerts(stack.redis(), limit=10_000)
    assert total == len(records)
    return records


def by_alert(records: list[dict]) -> dict[tuple[str, str], list[dict]]:
    grouped: dict[tuple[str, str], list[dict]] = {}
    for record in records:
        grouped.setdefault((record["alertname"], record["labels"]["instance"]), []).append(record)
    return grouped


def eventually(stack: Stack, predicate, what: str, timeout: float = DEADLINE):
    """`wait_until` that adds the processes' log tails when it times out."""
    try:
        return wait_until(predicate, timeout=timeout, what=what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{stack.logs()}") from None


def assert_all_sent(records: list[dict]) -> None:
    """Every notification owed was delivered (none pending, failed or skipped)."""
    states = [
        (r["alertname"], r["labels"].get("instance"), n["kind"], n["state"])
        for r in records
        for n in r["notifications"]
    ]
    assert states and all(state == "sent" for *_, state in states), states
