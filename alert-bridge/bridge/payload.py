"""Alertmanager webhook payload (version 4) → alert events. Pure: no I/O, no Flask.

Reference: Alertmanager's `webhook_config` docs. Only what the history needs is required;
everything else Alertmanager sends is accepted and ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime

from alertstore.records import STATUSES, AlertEvent

SUPPORTED_VERSION = "4"
MAX_FINGERPRINT_LENGTH = 128
# Alertmanager writes "not ended" as Go's zero time.
_ZERO_TIME_YEAR = 1


class PayloadError(ValueError):
    """The payload is not a valid webhook; `field` names the offending part."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def parse_webhook(document: object) -> list[AlertEvent]:
    if not isinstance(document, dict):
        raise PayloadError("body", "must be a JSON object")
    version = document.get("version")
    if version is None:
        raise PayloadError("version", "is required")
    if version != SUPPORTED_VERSION:
        raise PayloadError(
            "version", f"unsupported webhook version {version!r}, expected {SUPPORTED_VERSION!r}"
        )
    _status(document, "status")
    for name in ("receiver", "groupKey"):
        if not isinstance(document.get(name), str):
            raise PayloadError(name, "is required and must be a string")
    alerts = document.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise PayloadError("alerts", "is required and must be a non-empty list")
    return [parse_alert(alert, f"alerts[{i}]") for i, alert in enumerate(alerts)]


def parse_alert(alert: object, where: str = "alert") -> AlertEvent:
    """One alert of a webhook (or of Alertmanager's API, given a status) → its event."""
    if not isinstance(alert, dict):
        raise PayloadError(where, "must be an object")
    labels = _string_map(alert, "labels", where, required=True)
    if not labels.get("alertname"):
        raise PayloadError(f"{where}.labels.alertname", "is required")
    fingerprint = alert.get("fingerprint")
    if not _is_text(fingerprint) or not 0 < len(fingerprint) <= MAX_FINGERPRINT_LENGTH:
        raise PayloadError(
            f"{where}.fingerprint",
            f"is required: a string of 1-{MAX_FINGERPRINT_LENGTH} characters",
        )
    starts_at = _time(alert, "startsAt", where)
    if starts_at is None:
        raise PayloadError(f"{where}.startsAt", "is required")
    generator_url = alert.get("generatorURL", "")
    if not _is_text(generator_url):
        raise PayloadError(f"{where}.generatorURL", "must be a string")
    return AlertEvent(
        status=_status(alert, "status", where),
        labels=labels,
        annotations=_string_map(alert, "annotations", where, required=False),
        starts_at=starts_at,
        ends_at=_time(alert, "endsAt", where),
        generator_url=generator_url,
        fingerprint=fingerprint,
    )


def _status(obj: dict, name: str, where: str = "") -> str:
    value = obj.get(name)
    if value not in STATUSES:
        raise PayloadError(
            _path(where, name), f"must be one of {', '.join(STATUSES)}, got {value!r}"
        )
    return value


def _string_map(obj: dict, name: str, where: str, *, required: bool) -> dict[str, str]:
    value = obj.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict) or not all(map(_is_text, [*value, *value.values()])):
        raise PayloadError(_path(where, name), "must be an object of string values")
    return value


def _is_text(value: object) -> bool:
    """A string that is valid Unicode: JSON's `\\ud800` escapes decode to lone surrogates,
    which cannot be encoded as UTF-8 for Redis."""
    if not isinstance(value, str):
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _time(obj: dict, name: str, where: str) -> datetime | None:
    value = obj.get(name)
    return None if value is None else parse_time(value, _path(where, name))


def parse_time(value: object, field: str) -> datetime | None:
    """RFC 3339 time in UTC; None for Alertmanager's zero time; PayloadError naming `field`
    for anything else."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        if moment is not None and moment.tzinfo is not None and moment.year != _ZERO_TIME_YEAR:
            # in UTC now, so a time at the edge of the calendar is refused here rather than
            # overflowing later (record id, index score)
            moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise PayloadError(field, f"must be an RFC 3339 time with a zone, got {value!r}")
    return None if moment.year == _ZERO_TIME_YEAR else moment


def _path(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name
