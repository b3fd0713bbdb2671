"""alerts/stats/: staff only, the figures of a window equal brute force over the same
records (written by the real writer), clear 400s, routed beside alerts/{id}/."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from alerts.filters import SINCE_AFTER_UNTIL
from alerts.selectors import AlertHistoryUnavailable
from alertstore import reader
from alertstore.records import isoformat
from testkit.ports import free_port
from tests.alertstore.events import T0, event, record
from tests.alertstore.incident_history import SPAN, brute_force_stats, rounded, write_history

STATS = "/api/v1/alerts/stats/"


def query(since: datetime, until: datetime) -> str:
    return f"{STATS}?since={isoformat(since)}&until={isoformat(until)}"


def test_anonymous_is_401_and_non_staff_is_403(anon_client, user_client, redis_server):
    assert anon_client.get(STATS).status_code == 401
    assert user_client.get(STATS).status_code == 403


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (T0, T0 + SPAN),
        (T0 + timedelta(hours=1, minutes=30), T0 + timedelta(hours=6)),
        (T0 + SPAN, T0 + SPAN + timedelta(days=1)),  # past the newest: an empty window
    ],
)
def test_the_figures_equal_brute_force_over_the_records(staff_client, redis_server, since, until):
    store = redis_server.client()
    write_history(store, seed=7)

    response = staff_client.get(query(since, until))

    assert response.status_code == 200, response.json()
    body = response.json()
    # until is in the past: open incidents count up to it, whatever "now" the API used
    want = brute_force_stats(store, since, until, datetime.now(UTC))
    assert rounded({"groups": body["groups"], "totals": body["totals"]}) == rounded(want)
    assert (body["since"], body["until"]) == (isoformat(since), isoformat(until))


def test_records_outside_the_window_are_not_counted(staff_client, redis_server):
    store = redis_server.client()
    for minutes, fingerprint in ((-1, "before"), (0, "first"), (30, "last"), (31, "after")):
        record(store, event(fingerprint=fingerprint, starts_at=T0 + timedelta(minutes=minutes)))

    body = staff_client.get(query(T0, T0 + timedelta(minutes=30))).json()

    assert body["totals"]["incidents"] == 2  # both bounds inclusive
    assert [(g["alert_type"], g["severity"], g["incidents"]) for g in body["groups"]] == [
        ("high_error_rate", "ERROR", 2)
    ]


def test_without_since_and_until_it_is_the_last_7_days(staff_client, redis_server):
    store = redis_server.client()
    now = datetime.now(UTC)
    record(store, event(fingerprint="recent", starts_at=now - timedelta(hours=1)), at=now)
    record(store, event(fingerprint="old", starts_at=now - timedelta(days=8)), at=now)

    body = staff_client.get(STATS).json()

    assert body["totals"]["incidents"] == 1
    since, until = (datetime.fromisoformat(body[k]) for k in ("since", "until"))
    assert until - since == timedelta(days=7)
    assert now - timedelta(minutes=5) < until < now + timedelta(minutes=5)


def test_an_empty_window_has_zero_counts_and_null_figures(staff_client, redis_server):
    body = staff_client.get(query(T0, T0 + SPAN)).json()

    empty = {"count": 0, "p50": None, "p95": None, "mean": None}
    assert body["groups"] == []
    assert body["totals"] == {
        "incidents": 0,
        "firing_seconds": 0,
        "mttr_seconds": empty,
        "mtta_seconds": empty,
        "flaps": 0,
        "pages_sent": 0,
        "failed_deliveries": 0,
        "time_to_page_seconds": empty,
    }


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ("since=yesterday", "since"),
        ("until=2025-13-40", "until"),
        ("since=2025-10-02T00:00:00Z&until=2025-10-01T00:00:00Z", "since"),
    ],
)
def test_bad_bounds_are_400_naming_the_parameter(staff_client, redis_server, params, parameter):
    response = staff_client.get(f"{STATS}?{params}")

    assert response.status_code == 400
    assert list(response.json()) == [parameter]


@pytest.mark.parametrize(
    "params",
    ["until=0001-01-01T00:00:00Z", "since=0001-01-01T00:00:00Z", "since=9999-12-31T00:00:00Z"],
)
def test_extreme_bounds_are_an_answer(staff_client, redis_server, params):
    record(redis_server.client(), event())

    response = staff_client.get(f"{STATS}?{params}")

    assert response.status_code == 200
    assert response.json()["totals"]["incidents"] == (1 if params.startswith("since=0001") else 0)


def test_since_after_until_says_so(staff_client, redis_server):
    response = staff_client.get(f"{STATS}?since=2025-10-02T00:00:00Z&until=2025-10-01T00:00:00Z")

    assert response.json() == {"since": [SINCE_AFTER_UNTIL]}


def test_a_window_of_too_many_records_is_a_400_naming_since(
    staff_client, redis_server, monkeypatch
):
    store = redis_server.client()
    for minute in range(3):
        record(store, event(fingerprint=f"fp{minute}", starts_at=T0 + timedelta(minutes=minute)))
    monkeypatch.setattr(reader, "MAX_WINDOW_RECORDS", 2)

    response = staff_client.get(query(T0, T0 + timedelta(hours=1)))

    assert response.status_code == 400
    assert response.json() == {
        "since": ["since..until holds more than 2 alerts; narrow the window"]
    }


def test_stats_is_not_taken_for_an_alert_id_and_ids_still_resolve(staff_client, redis_server):
    alert_id = record(redis_server.client(), event()).alert_id

    assert set(staff_client.get(STATS).json()) == {
        *("since", "until", "retention_days", "covers_since", "complete", "groups", "totals")
    }
    assert staff_client.get(f"/api/v1/alerts/{alert_id}/").json()["id"] == alert_id


def test_redis_unreachable_is_a_503_saying_so(staff_client):
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"):
        response = staff_client.get(STATS)

    assert response.status_code == 503
    assert response.json() == {"detail": AlertHistoryUnavailable.default_detail}


@override_settings(ALERT_HISTORY_RETENTION_DAYS=3)
def test_the_answer_names_the_retention_it_covers(staff_client, redis_server):
    body = staff_client.get(STATS).json()  # the default window: 7 days, longer than kept

    assert body["retention_days"] == 3 and body["complete"] is False
    covers_since = datetime.fromisoformat(body["covers_since"])
    assert covers_since == datetime.fromisoformat(body["until"]) - timedelta(days=3)
