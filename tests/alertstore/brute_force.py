"""A random alert history, and what listing it must return: every record, filtered by brute
force in Python — the oracle the indexes are checked against."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import product

from alertstore import reader
from alertstore.records import (
    DELIVERY_STATES,
    SEVERITIES,
    STATUSES,
    AlertEvent,
    alert_id,
    epoch,
)
from tests.alertstore.events import T0, event

# Free-form labels, including every character the index keys must escape.
ALERT_TYPES = ("high_error_rate", "api_down", "a:b", "*", "50% of*", "ünï code", "x?[y]")
ABSENT_TYPE = "never_stored"


@dataclass(frozen=True)
class Expected:
    """What the store must hold for one record, known without reading the store."""

    id: str
    severity: str
    alert_type: str
    status: str
    score: float
    notifications: tuple[str, ...]  # the states of its notifications, in order

    @property
    def delivery(self) -> str | None:
        states = set(self.notifications)
        for state in ("failed", "pending", "sent"):
            if state in states:
                return state
        return None

    def matches(self, severity, alert_type, status, delivery, since, until) -> bool:
        return (
            severity in (None, self.severity)
            and alert_type in (None, self.alert_type)
            and status in (None, self.status)
            and delivery in (None, self.delivery)
            and (since is None or self.score >= epoch(since))
            and (until is None or self.score <= epoch(until))
        )


@dataclass
class History:
    created: list[AlertEvent]  # firing or resolved: one record each
    marks: list[tuple[str, str]]  # (id, state): then its first notification is marked
    resolutions: list[AlertEvent]  # resolve some of the firing ones afterwards
    records: list[Expected]  # once both are stored, in the order of `created`

    @property
    def expected(self) -> list[Expected]:
        """The records newest first: by starts_at, ties by id, as the indexes order them."""
        return sorted(self.records, key=lambda e: (e.score, e.id), reverse=True)

    def starts(self) -> list[datetime]:
        return sorted({ev.starts_at for ev in self.created})


def random_history(seed: int, count: int = 300) -> History:
    """`count` records over count/3 minutes (so starts_at ties), a third created resolved,
    most first messages marked sent, failed or skipped, then half of the firing ones
    resolved (which owes one more message)."""
    rng = random.Random(seed)
    created, marks, resolutions, final = [], [], [], []
    for i in range(count):
        micros = rng.choice((0, 0, rng.randrange(1_000_000)))  # exact scores, and ties
        starts_at = T0 + timedelta(minutes=rng.randrange(count // 3), microseconds=micros)
        ev = event(
            status=rng.choice(("firing", "firing", "resolved")),
            fingerprint=f"fp{i}",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=5),
            severity=rng.choice(SEVERITIES).lower(),
            alert_type=rng.choice(ALERT_TYPES),
        )
        created.append(ev)
        aid = alert_id(ev.fingerprint, starts_at)
        notifications = [rng.choice(("pending", "sent", "failed", "skipped"))]
        if notifications[0] != "pending":
            marks.append((aid, notifications[0]))
        status = ev.status
        if status == "firing" and rng.random() < 0.5:
            resolutions.append(event_resolved(ev))
            status = "resolved"
            notifications.append("pending")
        final.append(
            Expected(
                aid,
                ev.labels["severity"].upper(),
                ev.labels["alert_type"],
                status,
                epoch(starts_at),
                tuple(notifications),
            )
        )
    return History(created, marks, resolutions, final)


def event_resolved(ev: AlertEvent) -> AlertEvent:
    return AlertEvent(
        status="resolved",
        labels=ev.labels,
        annotations=ev.annotations,
        starts_at=ev.starts_at,
        ends_at=ev.starts_at + timedelta(minutes=10),
        generator_url=ev.generator_url,
        fingerprint=ev.fingerprint,
    )


def filter_combinations():
    """Every (severity, alert_type, status, delivery): each filter absent (None) or set to
    each value."""
    return product(
        (None, *SEVERITIES),
        (None, *ALERT_TYPES, ABSENT_TYPE),
        (None, *STATUSES),
        (None, *DELIVERY_STATES),
    )


def listed(page) -> list[tuple[str, str, str, str, str | None]]:
    return [(r["id"], r["severity"], r["alert_type"], r["status"], r["delivery"]) for r in page]


def assert_lists_like_brute_force(store, history: History) -> int:
    """Every filter combination and time bounds: the total, the whole listing (records and
    their fields, in order) and a middle page are what filtering all records gives.
    Returns how many queries were checked."""
    starts = history.starts()
    bounds = [(None, None), (starts[len(starts) // 3], None), (None, starts[-len(starts) // 3])]
    bounds.append((bounds[1][0], bounds[2][1]))  # both, each equal to some starts_at
    checked = 0
    for filters, (since, until) in product(filter_combinations(), bounds):
        query = dict(zip(("severity", "alert_type", "status", "delivery"), filters, strict=True))
        query.update(since=since, until=until)
        want = [
            (e.id, e.severity, e.alert_type, e.status, e.delivery)
            for e in history.expected
            if e.matches(**query)
        ]

        total, page = reader.list_alerts(store, **query, limit=len(history.expected))
        assert (total, listed(page)) == (len(want), want), query
        total, page = reader.list_alerts(store, **query, offset=3, limit=7)
        assert (total, listed(page)) == (len(want), want[3:10]), query
        checked += 1
    return checked
