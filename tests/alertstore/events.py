"""Alert events as bridge.payload would produce them, for store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
