"""bridge.payload: a pure parser of Alertmanager's webhook v4 that names what is wrong."""

from datetime import UTC, datetime

import pytest

from bridge.payload import PayloadError, parse_webhook
from tests.bridge.payloads import ZERO_TIME, alert, resolved, webhook


def test_parses_alerts_into_events():
    firing, done = alert(), resolved(alert(fingerprint="ab12"))

    events = parse_webhook(webhook(firing, done))

    assert [e.status for e in events] == ["firing", "resolved"]
    first = events[0]
    assert first.labels == firing["labels"]
    assert first.annotations == firing["annotations"]
    assert first.starts_at == datetime(2025, 10, 15, 12, 0, 0, 123456, tzinfo=UTC)
    assert first.ends_at is None  # Go's zero time: not ended
    assert first.fingerprint == "6f1e0c3a9b2d4e5f"
    assert first.generator_url.startswith("http://127.0.0.1:9090/graph")
    assert events[1].ends_at == datetime(2025, 10, 15, 12, 10, tzinfo=UTC)


def test_optional_alert_fields_default():
    bare = alert()
    for name in ("annotations", "endsAt", "generatorURL"):
        del bare[name]

    (event,) = parse_webhook(webhook(bare))

    assert (event.annotations, event.ends_at, event.generator_url) == ({}, None, "")


def broken(path: str, value):
    """A valid payload with one field (dotted path, [n] for list items) changed or removed."""
    document = webhook(alert())
    *parents, last = [int(p) if p.isdigit() else p for p in path.replace("[0]", ".0").split(".")]
    target = document
    for part in parents:
        target = target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return document


@pytest.mark.parametrize(
    ("document", "field", "problem"),
    [
        ([], "body", "must be a JSON object"),
        ("text", "body", "must be a JSON object"),
        (broken("version", KeyError), "version", "is required"),
        (broken("version", "3"), "version", "unsupported webhook version '3', expected '4'"),
        (broken("version", 4), "version", "unsupported webhook version 4"),
        (broken("status", "pending"), "status", "must be one of firing, resolved"),
        (broken("receiver", KeyError), "receiver", "is required"),
        (broken("groupKey", None), "groupKey", "is required"),
        (broken("alerts", []), "alerts", "non-empty list"),
        (broken("alerts", {}), "alerts", "non-empty list"),
        (broken("alerts[0]", "x"), "alerts[0]", "must be an object"),
        (broken("alerts[0].status", KeyError), "alerts[0].status", "must be one of"),
        (broken("alerts[0].labels", KeyError), "alerts[0].labels", "object of string values"),
        (broken("alerts[0].labels.job", 3), "alerts[0].labels", "object of string values"),
        (broken("alerts[0].labels.alertname", ""), "alerts[0].labels.alertname", "is required"),
        (broken("alerts[0].annotations", []), "alerts[0].annotations", "object of string"),
        (broken("alerts[0].fingerprint", KeyError), "alerts[0].fingerprint", "is required"),
        (broken("alerts[0].fingerprint", "f" * 129), "alerts[0].fingerprint", "1-128"),
        (broken("alerts[0].startsAt", KeyError), "alerts[0].startsAt", "is required"),
        (broken("alerts[0].startsAt", ZERO_TIME), "alerts[0].startsAt", "is required"),
        (broken("alerts[0].startsAt", "yesterday"), "alerts[0].startsAt", "RFC 3339"),
        (broken("alerts[0].startsAt", "2025-10-15T12:00:00"), "alerts[0].startsAt", "zone"),
        (broken("alerts[0].endsAt", 17), "alerts[0].endsAt", "RFC 3339"),
        (broken("alerts[0].generatorURL", None), "alerts[0].generatorURL", "must be a string"),
    ],
)
def test_errors_name_the_field(document, field, problem):
    with pytest.raises(PayloadError) as caught:
        parse_webhook(document)

    assert caught.value.field == field
    assert problem in str(caught.value)
