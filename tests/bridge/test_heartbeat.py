"""POST /heartbeat stores the time of Alertmanager's Heartbeat notification, never a record."""

import pytest

from alertstore import layout, pipeline, reader
from tests.bridge.conftest import auth
from tests.bridge.payloads import alert, resolved, webhook


def heartbeat():
    return webhook(
        alert(fingerprint="hb", alertname="Heartbeat", severity="none", alert_type="heartbeat"),
        receiver="taskmgr-heartbeat",
    )


def test_a_heartbeat_stores_its_time_and_no_history_record(client, store):
    response = client.post("/heartbeat", json=heartbeat(), headers=auth())

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "stored"
    assert pipeline.last_heartbeat(store) is not None
    assert reader.list_alerts(store)[0] == 0
    assert store.llen(layout.OUTBOX_PENDING_KEY) == 0


def test_a_resolved_heartbeat_is_no_heartbeat(client, store):
    body = webhook(resolved(alert(fingerprint="hb", alertname="Heartbeat")))

    response = client.post("/heartbeat", json=body, headers=auth())

    assert response.status_code == 200
    assert response.get_json()["status"] == "ignored"
    assert pipeline.last_heartbeat(store) is None


def test_the_heartbeat_demands_the_bridge_token(client, store):
    response = client.post("/heartbeat", json=heartbeat(), headers=auth("wrong-token-0123456789"))

    assert response.status_code == 401
    assert response.get_json()["detail"] == "invalid bearer token"
    assert pipeline.last_heartbeat(store) is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("[]", "body"),
        ('{"version": "3", "alerts": []}', "version"),
        ('{"version": "4", "alerts": []}', "alerts"),
        (None, "alerts[0].labels.alertname"),  # an incident sent to the wrong URL
    ],
)
def test_anything_else_gets_400_naming_the_field(client, store, body, field):
    if body is None:
        response = client.post("/heartbeat", json=webhook(alert()), headers=auth())
    else:
        response = client.post(
            "/heartbeat", data=body, content_type="application/json", headers=auth()
        )

    assert response.status_code == 400
    assert response.get_json()["field"] == field
    assert response.get_json()["detail"].startswith(field)
    assert pipeline.last_heartbeat(store) is None
