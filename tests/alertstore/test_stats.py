"""alertstore.stats: the figures of a window equal a brute-force computation over the same
records (written by the real writer into a real Redis); the definitions on small cases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alertstore import reader, stats
from alertstore.records import isoformat
from tests.alertstore.events import T0, event, record
from tests.alertstore.incident_history import (
    AFTER,
    SPAN,
    brute_force_stats,
    rounded,
    write_history,
)

KEPT = 90  # retention_days: what the answer says it covers

WINDOWS = [
    (T0, T0 + SPAN),  # everything
    (T0 + timedelta(hours=2), T0 + timedelta(hours=5)),  # a middle part
    (T0 + timedelta(hours=7, minutes=30), T0 + timedelta(hours=9)),  # the newest few
    (T0 - timedelta(hours=3), T0 - timedelta(hours=1)),  # before it: nothing
]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_window_equals_brute_force_over_the_records(store, seed):
    write_history(store, seed)

    for since, until in WINDOWS:
        got = stats.incident_stats(store, retention_days=KEPT, since=since, until=until, now=AFTER)
        want = brute_force_stats(store, since, until, AFTER)
        assert rounded({k: got[k] for k in ("groups", "totals")}) == rounded(want)
        assert (got["since"], got["until"]) == (isoformat(since), isoformat(until))


def test_the_history_exercises_every_figure(store):
    """The oracle comparison above means something only if the history has each case."""
    write_history(store, 1)

    totals = brute_force_stats(store, T0, T0 + SPAN, AFTER)["totals"]
    assert totals["incidents"] == 120
    assert totals["flaps"] > 0 and totals["failed_deliveries"] > 0 and totals["pages_sent"] > 0
    for figure in ("mttr_seconds", "mtta_seconds", "time_to_page_seconds"):
        assert 0 < totals[figure]["count"] < 120, figure


def test_the_default_window_is_the_7_days_before_now(store):
    now = T0 + timedelta(days=10)
    record(store, event(fingerprint="old", starts_at=now - timedelta(days=7, seconds=1)))
    record(store, event(fingerprint="new", starts_at=now - timedelta(days=7)))

    got = stats.incident_stats(store, retention_days=KEPT, now=now)

    assert got["totals"]["incidents"] == 1
    assert got["since"] == isoformat(now - stats.DEFAULT_WINDOW)
    assert got["until"] == isoformat(now)


def test_an_open_incident_counts_up_to_now_and_is_cut_at_until(store):
    record(store, event(starts_at=T0))

    def window(until, now):
        return stats.incident_stats(store, retention_days=KEPT, since=T0, until=until, now=now)

    up_to_now = window(T0 + timedelta(hours=1), T0 + timedelta(minutes=10))
    cut = window(T0 + timedelta(minutes=3), T0 + timedelta(hours=1))

    assert up_to_now["totals"]["firing_seconds"] == 600
    assert cut["totals"]["firing_seconds"] == 180
    assert cut["totals"]["mttr_seconds"] == {"count": 0, "p50": None, "p95": None, "mean": None}


def test_a_window_of_too_many_records_is_refused(store, monkeypatch):
    for minute in range(4):
        record(store, event(fingerprint=f"fp{minute}", starts_at=T0 + timedelta(minutes=minute)))
    monkeypatch.setattr(reader, "MAX_WINDOW_RECORDS", 3)

    with pytest.raises(reader.WindowTooLarge, match="more than 3 alerts"):
        stats.incident_stats(store, retention_days=KEPT, since=T0, until=T0 + timedelta(hours=1))
    assert (
        stats.incident_stats(
            store,
            retention_days=KEPT,
            since=T0 + timedelta(minutes=1),
            until=T0 + timedelta(hours=1),
        )["totals"]["incidents"]
        == 3
    )


@pytest.mark.parametrize(
    ("values", "p50", "p95"),
    [
        ([5.0], 5.0, 5.0),
        ([1.0, 2.0], 1.0, 2.0),  # rank ceil(0.5 * 2) = 1, ceil(0.95 * 2) = 2
        ([float(v) for v in range(1, 21)], 10.0, 19.0),  # ranks 10 and 19
        ([float(v) for v in range(100, 0, -1)], 50.0, 95.0),  # order does not matter
    ],
)
def test_percentiles_are_nearest_rank(values, p50, p95):
    assert (stats.percentile(values, 50), stats.percentile(values, 95)) == (p50, p95)
    assert stats.percentile([], 50) is None


def test_the_answer_says_what_the_retention_leaves_covered(store):
    now = T0 + timedelta(days=30)
    inside = stats.incident_stats(store, retention_days=10, since=now - timedelta(days=10), now=now)
    before = stats.incident_stats(
        store, retention_days=10, since=now - timedelta(days=10, seconds=1), now=now
    )

    covered = (10, isoformat(now - timedelta(days=10)))
    assert (inside["retention_days"], inside["covers_since"], inside["complete"]) == (
        *covered,
        True,
    )
    assert (before["retention_days"], before["covers_since"], before["complete"]) == (
        *covered,
        False,
    )
