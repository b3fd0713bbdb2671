"""A random incident history written through the real writer (fire, deliver, acknowledge,
resolve, in time order), and the statistics of a window computed by brute force: every
record read by a SCAN of the record keys (not the index), each figure by its definition."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import datetime, timedelta

from alertstore import layout, notifications, writer
from alertstore.records import SEVERITIES, AlertEvent, alert_id, epoch
from tests.alertstore.events import T0

KINDS = (
    ("HighErrorRate", "high_error_rate"),
    ("HighLatency", "high_latency"),
    ("ApiDown", "api_down"),
)
SPAN = timedelta(hours=8)  # every starts_at is within T0 .. T0 + SPAN
AFTER = T0 + timedelta(hours=12)  # every write is done by then: "now" of the statistics


def write_history(store, seed: int, count: int = 120) -> None:
    """`count` alert instances of 24 fingerprints (so re-fires flap and supersede), whole
    seconds; each firing notification sent, failed or left pending, some acknowledged,
    most resolved (some long after, some never); leftover messages delivered at the end.
    A fingerprint is its label set, as in Alertmanager: one alertname and severity each."""
    rng = random.Random(seed)
    actions = []  # (when, order, what, args): applied in time order
    for i in range(count):
        alertname, alert_type = KINDS[i % 24 % len(KINDS)]
        severity = SEVERITIES[i % 24 // len(KINDS) % len(SEVERITIES)]
        starts_at = T0 + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
        ev = AlertEvent(
            status="firing",
            labels={
                "alertname": alertname,
                "severity": severity.lower(),
                "alert_type": alert_type,
                "instance": f"api-{i % 24}",
            },
            annotations={"summary": f"{alertname} on api-{i % 24}"},
            starts_at=starts_at,
            fingerprint=f"fp{i % 24}",
        )
        actions.append((starts_at + timedelta(seconds=rng.randrange(1, 30)), i, "fire", ev))
        page = starts_at + timedelta(seconds=rng.randrange(30, 600))
        actions.append((page, i, "deliver", (ev, rng.choice(("sent", "sent", "failed", None)))))
        if rng.random() < 0.4:
            actions.append((page + timedelta(seconds=rng.randrange(1, 900)), i, "ack", ev))
        if rng.random() < 0.8:
            ends_at = starts_at + timedelta(seconds=rng.randrange(60, 3 * 3600))
            actions.append((ends_at, i, "resolve", ev))
    actions.sort(key=lambda action: action[:2])
    for when, _, what, args in actions:
        APPLY[what](store, when, args)
    _deliver_the_rest(store, rng)


def _write(store, ev: AlertEvent, now: datetime):
    return writer.record_transition(
        store, ev, now=now, cooldown_seconds=3600, flap_window_seconds=1800
    )


def _fire(store, now, ev):
    _write(store, ev, now)


def _resolve(store, now, ev):
    resolved = AlertEvent(
        status="resolved",
        labels=ev.labels,
        annotations=ev.annotations,
        starts_at=ev.starts_at,
        ends_at=now,
        fingerprint=ev.fingerprint,
    )
    _write(store, resolved, now)


def _record(store, ev: AlertEvent) -> tuple[str, dict]:
    instance = alert_id(ev.fingerprint, ev.starts_at)
    return instance, json.loads(store.get(layout.record_key(instance)))


def _deliver(store, now, args):
    ev, state = args
    alert_id, record = _record(store, ev)
    for n, notification in enumerate(record["notifications"]):
        if notification["kind"] == "firing" and notification["state"] == "pending" and state:
            status = 200 if state == "sent" else 404
            notifications.mark(store, alert_id, n, state, status, None, now)


def _ack(store, now, ev):
    alert_id, _ = _record(store, ev)
    writer.acknowledge(store, alert_id, by="ops", comment=None, silence_ids=["s1"], now=now)


APPLY = {"fire": _fire, "deliver": _deliver, "ack": _ack, "resolve": _resolve}


def _deliver_the_rest(store, rng):
    """Every other pending message (reminders, resolves, acks) sent, failed or left."""
    for raw in all_records(store):
        for n, notification in enumerate(raw["notifications"]):
            state = rng.choice(("sent", "failed", None))
            if notification["state"] == "pending" and notification["kind"] != "firing" and state:
                notifications.mark(store, raw["id"], n, state, 200, None, AFTER)


def all_records(store) -> list[dict]:
    keys = list(store.scan_iter(match=f"{layout.RECORD_KEY_PREFIX}*", count=1000))
    return [json.loads(raw) for raw in store.mget(keys)] if keys else []


# --- the oracle -----------------------------------------------------------------------


def _seconds(later: str, earlier: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def nearest_rank(values: list[float], p: float) -> float | None:
    """The smallest value with at least p % of the values at or below it."""
    candidates = [v for v in values if sum(x <= v for x in values) * 100 >= p * len(values)]
    return min(candidates) if candidates else None


def _distribution(values: list[float]) -> dict:
    return {
        "count": len(values),
        "p50": nearest_rank(values, 50),
        "p95": nearest_rank(values, 95),
        "mean": sum(values) / len(values) if values else None,
    }


def _figures(group: list[dict], until: datetime, now: datetime) -> dict:
    firing = 0.0
    for r in group:
        end = epoch(datetime.fromisoformat(r["ends_at"])) if r["ends_at"] else epoch(now)
        firing += max(0.0, min(end, epoch(until)) - epoch(datetime.fromisoformat(r["starts_at"])))
    pages = []
    for r in group:
        sent = [n for n in r["notifications"] if n["kind"] == "firing" and n["state"] == "sent"]
        if sent:
            pages.append(_seconds(sent[0]["sent_at"], r["starts_at"]))
    states = [n["state"] for r in group for n in r["notifications"]]
    return {
        "incidents": len(group),
        "firing_seconds": firing,
        "mttr_seconds": _distribution(
            [r["duration_seconds"] for r in group if r["status"] == "resolved"]
        ),
        "mtta_seconds": _distribution(
            [_seconds(r["acknowledged_at"], r["starts_at"]) for r in group if r["acknowledged_at"]]
        ),
        "flaps": sum(r["flaps"] for r in group),
        "pages_sent": states.count("sent"),
        "failed_deliveries": states.count("failed"),
        "time_to_page_seconds": _distribution(pages),
    }


def brute_force_stats(store, since: datetime, until: datetime, now: datetime) -> dict:
    """What alerts/stats/ must answer for since..until (starts_at inclusive)."""
    window = [
        r for r in all_records(store) if since <= datetime.fromisoformat(r["starts_at"]) <= until
    ]
    groups = defaultdict(list)
    for r in window:
        groups[r["alert_type"], r["severity"]].append(r)
    ordered = sorted(groups, key=lambda k: (k[0], SEVERITIES.index(k[1])))
    return {
        "groups": [
            {"alert_type": t, "severity": s, **_figures(groups[t, s], until, now)}
            for t, s in ordered
        ],
        "totals": _figures(window, until, now),
    }


def rounded(value):
    """Floats to 6 decimals, recursively: sums in another order differ in the last digit."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value
