"""alerts/?delivery=: the records whose Slack messages failed, are owed or were sent, through
the delivery indexes; the ledger and time to page as the OpenAPI schema documents them."""

from datetime import timedelta

import pytest

from alerts.serializers import AlertRecordSerializer, LedgerEntrySerializer
from alertstore import notifications
from tests.api.alerts.conftest import T0

LIST = "/api/v1/alerts/"


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [record["id"] for record in response.json()["results"]]


@pytest.fixture
def delivered(redis_server, store_alert):
    """Three firing records: Slack refused one (404), took one after a 500, owes one."""
    store = redis_server.client()
    failed, sent, pending = store_alert(0), store_alert(10), store_alert(20)
    notifications.mark(store, failed, 0, "failed", 404, "HTTP 404: no_service", T0)
    notifications.mark(store, sent, 0, "pending", 500, "HTTP 500", T0 + timedelta(minutes=10))
    at = T0 + timedelta(minutes=10, seconds=7)
    notifications.mark(store, sent, 0, "sent", 200, None, at)
    return {"failed": failed, "sent": sent, "pending": pending}


@pytest.mark.parametrize("state", ["failed", "sent", "pending"])
def test_each_delivery_state_lists_its_records(staff_client, delivered, state):
    response = staff_client.get(f"{LIST}?delivery={state}")

    assert ids(response) == [delivered[state]]
    assert response.json()["count"] == 1
    assert response.json()["results"][0]["delivery"] == state


def test_delivery_combines_with_the_other_filters(staff_client, delivered):
    assert ids(staff_client.get(f"{LIST}?delivery=failed&severity=error&status=firing")) == [
        delivered["failed"]
    ]
    assert ids(staff_client.get(f"{LIST}?delivery=failed&status=resolved")) == []
    assert ids(staff_client.get(f"{LIST}?delivery=sent&until=2025-10-01T12:05:00Z")) == []


def test_an_unknown_delivery_state_is_a_400_naming_delivery(staff_client, delivered):
    response = staff_client.get(f"{LIST}?delivery=lost")

    assert response.status_code == 400
    assert list(response.json()) == ["delivery"]


def test_the_record_shows_its_ledger_and_time_to_page_as_documented(staff_client, delivered):
    record = staff_client.get(f"{LIST}{delivered['sent']}/").json()

    assert set(record) == set(AlertRecordSerializer().fields)
    ledger = record["notifications"][0]["ledger"]
    assert [(e["http_status"], e["outcome"]) for e in ledger] == [(500, "retry"), (200, "sent")]
    assert all(set(e) == set(LedgerEntrySerializer().fields) for e in ledger)
    assert record["time_to_page_seconds"] == 7.0  # stored 10 min after T0, sent 7 s later


def test_the_schema_documents_the_filter_and_the_fields(staff_client):
    document = staff_client.get("/api/v1/schema/?format=json").json()

    parameters = {p["name"]: p for p in document["paths"][LIST]["get"]["parameters"]}
    assert parameters["delivery"]["schema"]["enum"] == ["pending", "failed", "sent"]
    components = document["components"]["schemas"]
    assert {"time_to_page_seconds", "delivery"} <= set(components["AlertRecord"]["properties"])
    assert set(components["LedgerEntry"]["properties"]) == set(LedgerEntrySerializer().fields)
