"""alerts/ and alerts/{id}/: staff only, filters, newest first, paging, clear errors."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.test import override_settings

from alerts.filters import SINCE_AFTER_UNTIL
from alerts.selectors import AlertHistoryUnavailable
from alertstore import layout
from testkit.ports import free_port

LIST = "/api/v1/alerts/"


def ids(response) -> list[str]:
    return [record["id"] for record in response.json()["results"]]


def test_anonymous_is_401_and_non_staff_is_403(anon_client, user_client, store_alert):
    alert_id = store_alert(1)

    for path in (LIST, f"{LIST}{alert_id}/"):
        assert anon_client.get(path).status_code == 401
        assert user_client.get(path).status_code == 403


def test_staff_sees_the_history_newest_first(staff_client, store_alert):
    older, newest, middle = store_alert(1), store_alert(30), store_alert(10)

    response = staff_client.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (3, None, None)
    assert ids(response) == [newest, middle, older]
    record = body["results"][0]
    assert record["alert_type"] == "high_error_rate"
    assert record["severity"] == "ERROR"
    assert record["status"] == "firing"
    assert (record["metric_value"], record["threshold_value"]) == (7.5, 5.0)
    assert record["starts_at"] == "2025-10-01T12:30:00.000Z"
    assert {"message", "labels", "annotations", "ends_at", "created_at", "updated_at"} <= set(
        record
    )
    assert {"sent_to_slack", "notifications"} <= set(record)


def test_detail_returns_the_record_and_404_for_an_unknown_id(staff_client, store_alert):
    alert_id = store_alert(5)

    response = staff_client.get(f"{LIST}{alert_id}/")

    assert response.status_code == 200
    assert response.json() == staff_client.get(LIST).json()["results"][0]
    missing = staff_client.get(f"{LIST}0123456789abcdef0123/")
    assert missing.status_code == 404
    assert "detail" in missing.json()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("severity=warning", ["latency"]),  # case-insensitive
        ("severity=ERROR", ["resolved", "errors"]),
        ("alert_type=high_latency", ["latency"]),
        ("status=resolved", ["resolved"]),
        ("status=firing&severity=error", ["errors"]),
        ("since=2025-10-01T12:10:00Z", ["latency", "resolved"]),
        ("until=2025-10-01T12:10:00Z", ["resolved", "errors"]),
        ("since=2025-10-01T12:05:00Z&until=2025-10-01T12:15:00Z", ["resolved"]),
    ],
)
def test_filters(staff_client, store_alert, query, expected):
    stored = {
        "errors": store_alert(0),
        "resolved": store_alert(10, resolved=True),
        "latency": store_alert(20, alertname="HighLatency", severity="warning"),
    }

    response = staff_client.get(f"{LIST}?{query}")

    assert response.status_code == 200, response.json()
    assert ids(response) == [stored[name] for name in expected]
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("severity=LOUD", "severity"),
        ("status=open", "status"),
        ("since=yesterday", "since"),
        ("until=2025-13-40", "until"),
        ("since=2025-10-02T00:00:00Z&until=2025-10-01T00:00:00Z", "since"),
        ("page_size=0", "page_size"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(staff_client, store_alert, query, parameter):
    store_alert(1)

    response = staff_client.get(f"{LIST}?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_since_after_until_says_so(staff_client):
    query = "since=2025-10-02T00:00:00Z&until=2025-10-01T00:00:00Z"

    assert staff_client.get(f"{LIST}?{query}").json() == {"since": [SINCE_AFTER_UNTIL]}


def test_pages(staff_client, store_alert):
    stored = [store_alert(minute) for minute in range(25)][::-1]  # newest first

    first = staff_client.get(f"{LIST}?page_size=10&severity=error")
    last = staff_client.get(f"{LIST}?page_size=10&severity=error&page=3")

    assert first.json()["count"] == 25
    assert ids(first) == stored[:10]
    assert parse_qs(urlparse(first.json()["next"]).query) == {
        "page": ["2"],
        "page_size": ["10"],
        "severity": ["error"],
    }
    assert first.json()["previous"] is None
    assert ids(last) == stored[20:]
    assert last.json()["next"] is None
    assert "page=2" in last.json()["previous"]
    assert len(ids(staff_client.get(LIST))) == 20  # default page size
    assert len(ids(staff_client.get(f"{LIST}?page_size=1000"))) == 25  # capped at 100


@pytest.mark.parametrize("page", ["4", "0", "-1", "abc"])
def test_a_page_that_does_not_exist_is_404(staff_client, store_alert, page):
    for minute in range(25):
        store_alert(minute)

    response = staff_client.get(f"{LIST}?page_size=10&page={page}")

    assert response.status_code == 404
    assert "Invalid page" in response.json()["detail"]


def test_an_empty_history_is_an_empty_first_page(staff_client, redis_server):
    response = staff_client.get(LIST)

    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_redis_unreachable_is_a_503_saying_so(staff_client):
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"):
        listed = staff_client.get(LIST)
        detail = staff_client.get(f"{LIST}0123456789abcdef0123/")

    for response in (listed, detail):
        assert response.status_code == 503
        assert response.json() == {"detail": AlertHistoryUnavailable.default_detail}


def test_a_store_in_another_layout_is_a_503_naming_the_migration(staff_client, redis_server):
    redis_server.client().set(layout.SCHEMA_KEY, "1")

    response = staff_client.get(LIST)

    assert response.status_code == 503
    assert "python -m alertstore.migrate" in response.json()["detail"]
