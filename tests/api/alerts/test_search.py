"""alerts/?q=: a case-insensitive substring of message, alertname or a label value, within
a window (the last 24 hours by default), with the other filters and paging; clear 400s."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from alertstore import reader, writer
from alertstore.records import AlertEvent, isoformat
from tests.alertstore.events import T0

LIST = "/api/v1/alerts/"


@pytest.fixture
def store_event(redis_server):
    """store_event(starts_at, **labels, summary=..., description=...) -> id."""
    client = redis_server.client()

    def store(starts_at, *, summary="", description="", status="firing", **labels):
        labels = {"alertname": "HighErrorRate", "severity": "error", **labels}
        annotations = {"summary": summary, "description": description, "runbook_url": "http://rb/x"}
        event = AlertEvent(
            status=status,
            labels=labels,
            annotations={k: v for k, v in annotations.items() if v},
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=1) if status == "resolved" else None,
            fingerprint=f"fp-{starts_at.isoformat()}-{sorted(labels.items())}",
            generator_url="http://prometheus/graph?g0.expr=secret_expr",
        )
        return writer.record_transition(
            client, event, now=starts_at, cooldown_seconds=300, flap_window_seconds=3600
        ).alert_id

    return store


def search(client, q, **params):
    window = {"since": isoformat(T0), "until": isoformat(T0 + timedelta(days=1))}
    return client.get(f"{LIST}?{urlencode({'q': q, **window, **params})}")


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [record["id"] for record in response.json()["results"]]


def test_q_matches_message_alertname_and_label_values_case_insensitively(staff_client, store_event):
    by_message = store_event(T0, summary="Disk FULL on db-1")
    by_alertname = store_event(T0 + timedelta(minutes=1), alertname="HighLatency")
    by_label = store_event(T0 + timedelta(minutes=2), instance="api-7:8000")

    assert ids(search(staff_client, "disk full")) == [by_message]
    assert ids(search(staff_client, "LATENCY")) == [by_alertname]
    assert ids(search(staff_client, "api-7")) == [by_label]
    assert ids(search(staff_client, "higherror")) == [by_label, by_message]  # alertname


@pytest.mark.parametrize(
    "q",
    [
        "instance",  # a label name, not a value
        "rb/x",  # another annotation
        "secret_expr",  # generator_url
        "fp-",  # fingerprint
        "described",  # the description, when a summary is the message
    ],
)
def test_q_does_not_match_other_fields(staff_client, store_event, q):
    store_event(T0, summary="the summary", description="described", instance="db")

    response = search(staff_client, q)

    assert ids(response) == []
    assert response.json()["count"] == 0


def test_without_since_and_until_q_searches_the_last_24_hours(staff_client, store_event):
    now = datetime.now(UTC)
    recent = store_event(now - timedelta(hours=23), summary="needle")
    store_event(now - timedelta(hours=25), summary="needle")

    response = staff_client.get(f"{LIST}?q=needle")

    assert ids(response) == [recent]
    assert response.json()["count"] == 1


def test_q_respects_since_and_until(staff_client, store_event):
    stored = [store_event(T0 + timedelta(minutes=m), summary="needle") for m in (0, 10, 20)]

    response = search(
        staff_client,
        "needle",
        since=isoformat(T0 + timedelta(minutes=5)),
        until=isoformat(T0 + timedelta(minutes=20)),
    )

    assert ids(response) == [stored[2], stored[1]]


def test_q_combines_with_the_other_filters(staff_client, store_event):
    error = store_event(T0, summary="needle")
    warning = store_event(T0 + timedelta(minutes=1), summary="needle", severity="warning")
    resolved = store_event(T0 + timedelta(minutes=2), summary="needle", status="resolved")
    typed = store_event(T0 + timedelta(minutes=3), summary="needle", alert_type="custom")
    store_event(T0 + timedelta(minutes=4), summary="hay", severity="warning")

    assert ids(search(staff_client, "needle", severity="WARNING")) == [warning]
    assert ids(search(staff_client, "needle", status="resolved")) == [resolved]
    assert ids(search(staff_client, "needle", alert_type="custom")) == [typed]
    assert ids(search(staff_client, "needle", severity="error", status="firing")) == [typed, error]


def test_q_pages_and_counts_matches(staff_client, store_event):
    needles = [store_event(T0 + timedelta(minutes=m), summary=f"needle {m}") for m in range(25)]
    for m in range(25, 30):
        store_event(T0 + timedelta(minutes=m), summary="hay")
    newest_first = needles[::-1]

    first = search(staff_client, "needle", page_size=10)
    last = search(staff_client, "needle", page_size=10, page=3)

    assert first.json()["count"] == 25
    assert ids(first) == newest_first[:10]
    assert parse_qs(urlparse(first.json()["next"]).query)["q"] == ["needle"]
    assert ids(last) == newest_first[20:]
    assert last.json()["next"] is None
    assert search(staff_client, "needle", page_size=10, page=4).status_code == 404


def test_a_q_over_100_characters_is_400_naming_q(staff_client, redis_server):
    response = staff_client.get(f"{LIST}?{urlencode({'q': 'x' * 101})}")

    assert response.status_code == 400
    assert list(response.json()) == ["q"]
    assert staff_client.get(f"{LIST}?{urlencode({'q': 'x' * 100})}").status_code == 200


@pytest.mark.parametrize("q", ["", "   "])
def test_a_blank_q_is_the_plain_listing(staff_client, store_event, q):
    old = store_event(T0, summary="anything")  # outside any default search window

    assert ids(staff_client.get(f"{LIST}?{urlencode({'q': q})}")) == [old]


def test_a_window_of_too_many_records_is_a_400_naming_since(staff_client, store_event, monkeypatch):
    for minute in range(3):
        store_event(T0 + timedelta(minutes=minute), summary="needle")
    monkeypatch.setattr(reader, "MAX_WINDOW_RECORDS", 2)

    response = search(staff_client, "needle")

    assert response.status_code == 400
    assert list(response.json()) == ["since"]


def test_non_staff_cannot_search(anon_client, user_client, redis_server):
    assert anon_client.get(f"{LIST}?q=x").status_code == 401
    assert user_client.get(f"{LIST}?q=x").status_code == 403
