"""What one alert record holds, how it is derived from an Alertmanager alert, and its JSON.

A record is one alert instance: Alertmanager's `fingerprint` (the label set) plus its
`startsAt`, within a tolerance (`same_instance`; layout.py, "Record identity", says why).
The same instance always lands in the same record, whichever Prometheus, Alertmanager or
retry delivered it; a re-fire after resolving has a later `startsAt`, so a new record.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, TypedDict

SEVERITIES = ("INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_SEVERITY = "WARNING"
STATUSES = ("firing", "resolved")
NOTIFICATION_KINDS = ("firing", "reminder", "resolved", "acknowledged")
NOTIFICATION_STATES = ("pending", "sent", "failed", "skipped")
# a record's `delivery`: how its Slack messages stand (delivery_of); null = none owed
DELIVERY_STATES = ("pending", "failed", "sent")
LEDGER_OUTCOMES = ("sent", "failed", "retry")
MAX_LEDGER = 20  # attempts kept per notification, the newest (`attempts` counts them all)
# how a resolved record came to be resolved: Alertmanager's resolve, or reconciliation
RESOLUTIONS = ("alertmanager", "inferred")
# why Slack hears nothing more: muted in Alertmanager; "cooldown" only on records stored
# before issue 11 (the cooldown held a re-fire back then)
SUPPRESSIONS = ("silenced", "inhibited", "cooldown")

Status = Literal["firing", "resolved"]


class LedgerEntry(TypedDict):
    """One POST to Slack for a notification, as the delivery worker saw it."""

    at: str  # ISO (isoformat), when the answer (or the error) came
    http_status: int | None  # None: no answer (timeout, connection error)
    retry_after_seconds: float | None  # the Retry-After wait obeyed, after the cap
    outcome: Literal["sent", "failed", "retry"]
    error: str | None


class Notification(TypedDict):
    """One Slack message owed for a transition; `attempts` counts HTTP tries, `ledger`
    keeps the newest MAX_LEDGER of them, oldest first."""

    kind: Literal["firing", "reminder", "resolved", "acknowledged"]
    state: Literal["pending", "sent", "failed", "skipped"]
    attempts: int
    last_http_status: int | None
    last_error: str | None
    enqueued_at: str | None  # None when no message was owed (skipped at the transition)
    sent_at: str | None
    ledger: list[LedgerEntry]


class Culprit(TypedDict):
    """One route where the alert's series is worst: the route template, never an id."""

    route: str
    value: float  # in the alert's unit (% for HighErrorRate, ms for HighLatency)


MAX_CULPRITS = 3


class AlertRecord(TypedDict):
    id: str
    alert_type: str
    alertname: str
    severity: str
    status: Status
    message: str
    metric_value: float | None
    threshold_value: float | None
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: str
    ends_at: str | None
    created_at: str
    updated_at: str
    sent_to_slack: bool
    fingerprint: str
    generator_url: str
    notifications: list[Notification]
    reminders: int
    suppressed_by: str | None
    flaps: int  # re-fires of this fingerprint, each within the flap window of a resolve
    resolution: str | None  # RESOLUTIONS; None while firing
    # schema 3 (issue 12): where it broke, and what the resolve measured
    culprits: list[Culprit]  # at most MAX_CULPRITS, worst first; [] when none
    culprits_note: str | None  # why `culprits` is empty (None: no culprit query applies)
    resolved_value: float | None  # the alert's series when it resolved (Prometheus)
    peak_value: float | None  # its max_over_time from starts_at to the resolve
    resolved_note: str | None  # why resolved_value / peak_value are missing
    duration_seconds: float | None  # starts_at → ends_at; None while firing
    acknowledged_by: str | None
    acknowledged_at: str | None  # ISO (isoformat)
    ack_comment: str | None
    silence_ids: list[str]  # Alertmanager silences the acknowledge created
    # schema 4 (issue 13): how its Slack messages went
    # starts_at → Slack's 2xx for the first firing message (a reopen's later page keeps it)
    time_to_page_seconds: float | None
    delivery: str | None  # DELIVERY_STATES (delivery_of); None when no message is owed


FIELDS = tuple(AlertRecord.__annotations__)


@dataclass(frozen=True)
class AlertEvent:
    """One alert of an Alertmanager webhook, already validated (see bridge.payload)."""

    status: Status
    labels: dict[str, str]
    starts_at: datetime
    fingerprint: str
    annotations: dict[str, str] = field(default_factory=dict)
    ends_at: datetime | None = None
    generator_url: str = ""
    # what the bridge measured in Prometheus for this event (bridge.prom): record fields
    # set when the event creates or resolves the record, e.g. culprits, resolved_value
    facts: dict = field(default_factory=dict)


def isoformat(moment: datetime) -> str:
    """UTC, millisecond precision, `Z`: fixed width, so these strings sort by time."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch(moment: datetime) -> float:
    return moment.timestamp()


def alert_id(fingerprint: str, starts_at: datetime) -> str:
    """Stable id of one alert instance: 20 hex digits of sha256(fingerprint, startsAt).

    startsAt counts to the millisecond: Alertmanager's webhooks carry it to the nanosecond
    but its API (`/api/v2/alerts`, which reconciliation reads) to the millisecond, and
    Prometheus stamps whole milliseconds anyway."""
    starts_at = starts_at.astimezone(UTC)
    instant = starts_at.replace(microsecond=starts_at.microsecond // 1000 * 1000).isoformat(
        timespec="microseconds"
    )
    return hashlib.sha256(f"{fingerprint}|{instant}".encode()).hexdigest()[:20]


def same_instance(starts_at: datetime, other: datetime, tolerance_seconds: float) -> bool:
    """Two startsAt of one fingerprint name the same instance when they differ by at most
    the tolerance (layout: record identity; each Prometheus of a pair stamps its own).
    Compared to the millisecond, as `alert_id` counts them. The writer's script applies
    the same rule, and also refuses a startsAt at or after the instance's resolve."""

    def ms(moment: datetime) -> datetime:
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    return abs(ms(starts_at) - ms(other)) <= timedelta(seconds=tolerance_seconds)


def severity_of(labels: dict[str, str]) -> str:
    """Label `severity`, case-insensitive; missing or unknown → WARNING (raw label kept)."""
    severity = labels.get("severity", "").strip().upper()
    return severity if severity in SEVERITIES else DEFAULT_SEVERITY


def alert_type_of(labels: dict[str, str]) -> str:
    """Label `alert_type`, else the alertname in snake_case (HighErrorRate → high_error_rate)."""
    if labels.get("alert_type"):
        return labels["alert_type"]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", labels["alertname"]).lower()


def _number(text: str | None) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def new_record(event: AlertEvent, now: datetime) -> AlertRecord:
    """The record as first stored; the writer's script adds its first notification."""
    labels, annotations = event.labels, event.annotations
    alertname = labels["alertname"]
    resolved = event.status == "resolved"
    stamp = isoformat(now)
    return AlertRecord(
        id=alert_id(event.fingerprint, event.starts_at),
        alert_type=alert_type_of(labels),
        alertname=alertname,
        severity=severity_of(labels),
        status=event.status,
        message=annotations.get("summary") or annotations.get("description") or alertname,
        metric_value=_number(annotations.get("value")),
        threshold_value=_number(annotations.get("threshold")),
        labels=dict(labels),
        annotations=dict(annotations),
        starts_at=isoformat(event.starts_at),
        ends_at=isoformat(event.ends_at or now) if resolved else None,
        created_at=stamp,
        updated_at=stamp,
        sent_to_slack=False,
        fingerprint=event.fingerprint,
        generator_url=event.generator_url,
        notifications=[],
        reminders=0,
        suppressed_by=None,
        flaps=0,
        resolution="alertmanager" if resolved else None,
        time_to_page_seconds=None,
        delivery=None,  # the writer's script sets it with the first notification
        **{
            **UNMEASURED,
            **{name: value for name, value in event.facts.items() if name in FACT_FIELDS},
        },
    )


# Schema 3's fields as a record has them before anything measured or acknowledged it.
UNMEASURED = {
    "culprits": [],
    "culprits_note": None,
    "resolved_value": None,
    "peak_value": None,
    "resolved_note": None,
    "duration_seconds": None,
    "acknowledged_by": None,
    "acknowledged_at": None,
    "ack_comment": None,
    "silence_ids": [],
}
# what an event's `facts` may set (bridge.prom measures them)
FACT_FIELDS = ("culprits", "culprits_note", "resolved_value", "peak_value", "resolved_note")
# cleared when a resolved record fires again (reopen): they described a resolve that was not
RESOLVE_FIELDS = ("resolved_value", "peak_value", "resolved_note", "duration_seconds")
# Redis' cjson encodes an empty Lua table as {}: these are lists whatever it wrote.
_LISTS = ("culprits", "silence_ids", "notifications")

# Which notification state decides the record's `delivery`, strongest first: one failed
# message is what an operator must see, then one still owed, then all delivered.
_DELIVERY_PRECEDENCE = ("failed", "pending", "sent")


def delivery_of(notifications: list[Notification]) -> str | None:
    """failed if any notification failed, else pending if any is, else sent if any was,
    else None (nothing owed, or every one skipped)."""
    states = {n["state"] for n in notifications}
    return next((state for state in _DELIVERY_PRECEDENCE if state in states), None)


# The same rule for the store's scripts (writer, notifications): a Lua function
# `delivery_of(rec)` → state or cjson.null, rendered from the precedence above.
LUA_DELIVERY_OF = (
    """
local function delivery_of(rec)
  local seen = {}
  for _, n in ipairs(rec.notifications) do seen[n.state] = true end
  for _, state in ipairs({"""
    + ", ".join(json.dumps(state) for state in _DELIVERY_PRECEDENCE)
    + """}) do
    if seen[state] then return state end
  end
  return cjson.null
end
"""
)


# The writer's Lua scripts decode and re-encode records with Redis' cjson, which prints
# numbers with 14 significant digits. Measured values are therefore stored as their
# shortest exact decimal string and turned back into floats here.
# Durations are computed inside the script (a difference of epochs): 14 digits are plenty.
_EXACT_NUMBERS = ("metric_value", "threshold_value", "resolved_value", "peak_value")


def exact(value: float | None) -> str | None:
    """A measured number as the records store it (see above)."""
    return None if value is None else repr(float(value))


def encode(record: AlertRecord) -> str:
    stored = dict(record)
    for name in _EXACT_NUMBERS:
        if stored.get(name) is not None:
            stored[name] = exact(stored[name])
    return json.dumps(stored, separators=(",", ":"), ensure_ascii=False)


def duration_between(starts_at: str, ends_at: str | None) -> float | None:
    """Seconds from one record time (isoformat) to another; None without an end."""
    if ends_at is None:
        return None
    return (datetime.fromisoformat(ends_at) - datetime.fromisoformat(starts_at)).total_seconds()


def first_page_at(notifications: list[Notification]) -> str | None:
    """When Slack took the first firing message (its sent_at), None if it never did."""
    return next(
        (n["sent_at"] for n in notifications if n["kind"] == "firing" and n.get("sent_at")), None
    )


def notification_defaults(stored: dict) -> dict:
    """A stored notification with the fields schema 4 added (its `ledger`, [] before)."""
    ledger = stored.get("ledger", [])
    return {**stored, "ledger": [] if ledger == {} else ledger}


def defaults(stored: dict) -> dict:
    """Fields a record written before them lacks: issue 11's (schema 2, additive),
    schema 3's and schema 4's. `alertstore.migrate` writes them into every record; a
    reader still fills them in, so a record an older bridge wrote during the upgrade reads
    the same."""
    resolved = stored["status"] == "resolved"
    notifications = stored.get("notifications") or []
    return {
        "flaps": 0,
        "resolution": "alertmanager" if resolved else None,
        **UNMEASURED,
        "duration_seconds": duration_between(stored["starts_at"], stored.get("ends_at")),
        "time_to_page_seconds": duration_between(stored["starts_at"], first_page_at(notifications)),
        "delivery": delivery_of(notifications),
    }


def decode(raw: str | bytes) -> AlertRecord:
    stored = json.loads(raw)
    stored = {**defaults(stored), **stored}
    for name in _EXACT_NUMBERS:
        if stored[name] is not None:
            stored[name] = float(stored[name])
    for name in _LISTS:
        if stored[name] == {}:
            stored[name] = []
    stored["notifications"] = [notification_defaults(n) for n in stored["notifications"]]
    return AlertRecord(**{name: stored[name] for name in FIELDS})
