"""Alertmanager webhook payloads (version 4) as Alertmanager sends them, for tests."""

from __future__ import annotations

ZERO_TIME = "0001-01-01T00:00:00Z"


def alert(
    *,
    status: str = "firing",
    alertname: str = "HighErrorRate",
    severity: str | None = "error",
    alert_type: str | None = "high_error_rate",
    fingerprint: str = "6f1e0c3a9b2d4e5f",
    starts_at: str = "2025-10-15T12:00:00.123456789Z",
    ends_at: str = ZERO_TIME,
    value: str | None = "37.5",
    threshold: str | None = "5",
    summary: str | None = "Error rate above 5%",
    **extra_labels: str,
) -> dict:
    labels = {"alertname": alertname, "job": "taskmgr-api", **extra_labels}
    if severity is not None:
        labels["severity"] = severity
    if alert_type is not None:
        labels["alert_type"] = alert_type
    annotations = {"description": f"{alertname} on taskmgr-api", "unit": "%"}
    for name, text in (("value", value), ("threshold", threshold), ("summary", summary)):
        if text is not None:
            annotations[name] = text
    return {
        "status": status,
        "labels": labels,
        "annotations": annotations,
        "startsAt": starts_at,
        "endsAt": ends_at,
        "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=taskmgr",
        "fingerprint": fingerprint,
    }


def webhook(
    *alerts: dict, receiver: str = "slack-error", group_key: str = '{}:{alertname="x"}'
) -> dict:
    statuses = {a["status"] for a in alerts}
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": "firing" if "firing" in statuses else "resolved",
        "receiver": receiver,
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]} if alerts else {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
        "alerts": list(alerts),
    }


def resolved(firing: dict, ends_at: str = "2025-10-15T12:10:00Z") -> dict:
    return {**firing, "status": "resolved", "endsAt": ends_at}
