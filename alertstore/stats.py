"""Incident statistics of a window of the alert history (GET /api/v1/alerts/stats/).

Exact, from the records whose starts_at is within since..until, read through the time
index (`reader.window_raw` over `layout.INDEX_KEY`), never the whole history. Per
(alert_type, severity) and in total:

* incidents: records (alert instances) in the window.
* firing_seconds: the sum over them of starts_at → ends_at, or → now while firing, cut at
  `until` (an incident that outlasts the window counts only its part inside it).
* mttr_seconds: `duration_seconds` of the resolved ones, whole (also past `until`).
* mtta_seconds: acknowledged_at - starts_at of the acknowledged ones.
* flaps: sum of their `flaps`.
* pages_sent / failed_deliveries: their Slack notifications (any kind) in state sent / failed.
* time_to_page_seconds: the records' own `time_to_page_seconds` (starts_at to Slack's 2xx
  for the first firing message; alertstore.notifications sets it).

Coverage: the delivery worker trims records resolved more than ALERT_HISTORY_RETENTION_DAYS
ago (alertstore.trim), so the answer says what it covers: `retention_days`, `covers_since`
(now - retention: every incident starting since then is kept, whole) and `complete`
(since ≥ covers_since). Before covers_since only the incidents still kept count: those
still firing, resolved since covers_since, or still owing a Slack message.

A distribution is {count, p50, p95, mean}, null figures when count is 0. Percentiles are
nearest-rank: the p-th percentile of n sorted values is the value at rank ceil(p/100 * n)
(1-based), always one of the values; mean is the arithmetic mean.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import redis as redis_lib

from alertstore import layout, reader, records, trim

DEFAULT_WINDOW = timedelta(days=7)  # when since is not given: the 7 days before until


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank p-th percentile (0 < p <= 100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def distribution(values: Sequence[float]) -> dict:
    return {
        "count": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "mean": math.fsum(values) / len(values) if values else None,
    }


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def firing_seconds(record: records.AlertRecord, *, until: datetime, now: datetime) -> float:
    end = _at(record["ends_at"]) if record["ends_at"] else now
    return max(0.0, (min(end, until) - _at(record["starts_at"])).total_seconds())


def summarize(window: Iterable[records.AlertRecord], *, until: datetime, now: datetime) -> dict:
    """The figures (module docstring) of these records."""
    window = list(window)
    states = [n["state"] for r in window for n in r["notifications"]]
    acked = [r for r in window if r["acknowledged_at"]]
    return {
        "incidents": len(window),
        "firing_seconds": math.fsum(firing_seconds(r, until=until, now=now) for r in window),
        "mttr_seconds": distribution(
            [r["duration_seconds"] for r in window if r["duration_seconds"] is not None]
        ),
        "mtta_seconds": distribution(
            [(_at(r["acknowledged_at"]) - _at(r["starts_at"])).total_seconds() for r in acked]
        ),
        "flaps": sum(r["flaps"] for r in window),
        "pages_sent": states.count("sent"),
        "failed_deliveries": states.count("failed"),
        "time_to_page_seconds": distribution(
            [r["time_to_page_seconds"] for r in window if r["time_to_page_seconds"] is not None]
        ),
    }


def compute(window: Iterable[records.AlertRecord], *, until: datetime, now: datetime) -> dict:
    """{groups: [{alert_type, severity, figures...}] by alert_type then severity, totals}."""
    window = list(window)
    groups = defaultdict(list)
    for record in window:
        groups[record["alert_type"], record["severity"]].append(record)
    order = sorted(groups, key=lambda key: (key[0], records.SEVERITIES.index(key[1])))
    return {
        "groups": [
            {"alert_type": t, "severity": s, **summarize(groups[t, s], until=until, now=now)}
            for t, s in order
        ],
        "totals": summarize(window, until=until, now=now),
    }


def incident_stats(
    redis: redis_lib.Redis,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
    retention_days: int,
) -> dict:
    """{since, until (the window used: until defaults to now, since to until -
    DEFAULT_WINDOW), retention_days, covers_since, complete (module docstring), groups,
    totals}; reader.WindowTooLarge past reader.MAX_WINDOW_RECORDS."""
    now = now or datetime.now(UTC)
    since, until = reader.window(since, until, length=DEFAULT_WINDOW, now=now)
    raws = reader.window_raw(redis, layout.INDEX_KEY, since, until, newest_first=False)
    covers_since = trim.cutoff(now, retention_days)
    return {
        "since": records.isoformat(since),
        "until": records.isoformat(until),
        "retention_days": retention_days,
        "covers_since": records.isoformat(covers_since),
        "complete": since >= covers_since,
        **compute(map(records.decode, raws), until=until, now=now),
    }
