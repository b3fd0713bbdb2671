"""Alert events as bridge.payload would produce them, and storing them, for store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alertstore import layout, writer
from alertstore.records import AlertEvent

T0 = datetime(2025, 10, 15, 12, 0, tzinfo=UTC)


def event(
    *,
    status: str = "firing",
    fingerprint: str = "fp-error",
    starts_at: datetime = T0,
    ends_at: datetime | None = None,
    alertname: str = "HighErrorRate",
    severity: str = "error",
    alert_type: str = "high_error_rate",
    value: str = "37.5",
) -> AlertEvent:
    return AlertEvent(
        status=status,
        labels={"alertname": alertname, "severity": severity, "alert_type": alert_type},
        annotations={"summary": f"{alertname} summary", "value": value, "threshold": "5"},
        starts_at=starts_at,
        ends_at=ends_at,
        generator_url="http://prometheus/graph",
        fingerprint=fingerprint,
    )


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


COOLDOWN = 300  # seconds; reminders come after 0.9 * COOLDOWN = 4.5 minutes


def record(store, ev=None, *, at=T0, cooldown=COOLDOWN):
    return writer.record_transition(
        store, ev or event(), now=at, cooldown_seconds=cooldown, flap_window_seconds=3600
    )


def pending(store):
    """The outbox's pending entries, oldest first."""
    return [layout.text(e) for e in store.lrange(layout.OUTBOX_PENDING_KEY, 0, -1)]
