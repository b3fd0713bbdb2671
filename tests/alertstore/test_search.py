"""reader.search_alerts: every filter combination and a few queries list what filtering all
records by brute force gives (real writer, real Redis); its window and its bound."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest

from alertstore import reader, writer
from tests.alertstore.brute_force import filter_combinations, listed, random_history
from tests.alertstore.events import T0, event, record

# a label value with `:`, one with `%`, a non-ASCII one in another case, the alertname,
# the message, and nothing
QUERIES = ("a:b", "50%", "ÜNÏ", "higherror", "RATE SUMMARY", "absent")


def _matches(r, q: str) -> bool:
    return any(
        q.casefold() in text.casefold()
        for text in (r["message"], r["alertname"], *r["labels"].values())
    )


def test_search_lists_like_brute_force(store):
    history = random_history(seed=5, count=150)
    writer.record_transitions(
        store, history.created, now=T0, cooldown_seconds=300, flap_window_seconds=3600
    )
    writer.record_transitions(
        store,
        history.resolutions,
        now=T0 + timedelta(hours=1),
        cooldown_seconds=300,
        flap_window_seconds=3600,
    )
    _, everything = reader.list_alerts(store, limit=1000)  # newest first
    since, until = T0, T0 + timedelta(hours=2)
    found = {q: sum(_matches(r, q) for r in everything) for q in QUERIES}
    assert all(found[q] for q in QUERIES[:-1]) and not found["absent"], found
    for (severity, alert_type, status, delivery), q in product(filter_combinations(), QUERIES):
        want = [
            r
            for r in everything
            if severity in (None, r["severity"])
            and alert_type in (None, r["alert_type"])
            and status in (None, r["status"])
            and delivery in (None, r["delivery"])
            and _matches(r, q)
        ]
        filters = dict(
            severity=severity,
            alert_type=alert_type,
            status=status,
            delivery=delivery,
            since=since,
            until=until,
        )
        total, page = reader.search_alerts(store, q, **filters, limit=1000)
        assert (total, listed(page)) == (len(want), listed(want)), (filters, q)
        total, page = reader.search_alerts(store, q, **filters, offset=2, limit=5)
        assert (total, listed(page)) == (len(want), listed(want[2:7])), (filters, q)


def test_without_bounds_it_searches_the_24_hours_before_now(store):
    now = T0 + timedelta(days=3)
    inside = record(store, event(fingerprint="in", starts_at=now - timedelta(hours=24))).alert_id
    record(store, event(fingerprint="out", starts_at=now - timedelta(hours=24, seconds=1)))

    total, page = reader.search_alerts(store, "error", now=now)

    assert (total, [r["id"] for r in page]) == (1, [inside])


def test_a_window_of_too_many_records_is_refused(store, monkeypatch):
    for minute in range(3):
        record(store, event(fingerprint=f"fp{minute}", starts_at=T0 + timedelta(minutes=minute)))
    monkeypatch.setattr(reader, "MAX_WINDOW_RECORDS", 2)

    with pytest.raises(reader.WindowTooLarge):
        reader.search_alerts(store, "x", since=T0, until=T0 + timedelta(hours=1))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"q": ""}, "q must not be empty"),
        ({"q": "x", "severity": "LOUD"}, "severity must be one of"),
        ({"q": "x", "status": "open"}, "status must be one of"),
        ({"q": "x", "offset": -1}, "must not be negative"),
    ],
)
def test_bad_arguments_are_named(store, arguments, message):
    with pytest.raises(ValueError, match=message):
        reader.search_alerts(store, **arguments)
