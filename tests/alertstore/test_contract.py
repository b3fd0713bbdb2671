"""The contract: what the bridge writes through its real webhook, alertstore.reader (the
API's only way in) reads back exactly — every field, in the filters and in the order."""

import pytest

from alertstore import reader
from bridge import create_app
from tests.bridge.conftest import auth, bridge_config, no_prometheus
from tests.bridge.payloads import alert, resolved, webhook

PROMETHEUS = no_prometheus()


@pytest.fixture
def bridge(redis_server):
    config = bridge_config(redis_url=redis_server.url, prometheus_query_urls=(PROMETHEUS,))
    return create_app(config).test_client()


def post(bridge, *alerts):
    response = bridge.post("/webhook", json=webhook(*alerts), headers=auth())
    assert response.status_code == 200, response.get_json()
    return [a["id"] for a in response.get_json()["alerts"]]


def test_the_reader_gets_exactly_the_record_the_bridge_wrote(bridge, store):
    firing = alert(value="5.263157894736842", threshold="5", severity="Error")
    (alert_id,) = post(bridge, firing)
    post(bridge, resolved(firing, ends_at="2025-10-15T12:10:00.5Z"))

    record = reader.get_alert(store, alert_id)

    created = record["created_at"]
    resolved_at = record["updated_at"]
    assert record == {
        "id": alert_id,
        "alert_type": "high_error_rate",
        "alertname": "HighErrorRate",
        "severity": "ERROR",
        "status": "resolved",
        "message": "Error rate above 5%",
        "metric_value": 5.263157894736842,
        "threshold_value": 5.0,
        "labels": firing["labels"],
        "annotations": firing["annotations"],
        "starts_at": "2025-10-15T12:00:00.123Z",
        "ends_at": "2025-10-15T12:10:00.500Z",
        "created_at": created,
        "updated_at": resolved_at,
        "sent_to_slack": False,
        "fingerprint": "6f1e0c3a9b2d4e5f",
        "generator_url": firing["generatorURL"],
        "notifications": [
            {
                "kind": kind,
                "state": "pending",
                "attempts": 0,
                "last_http_status": None,
                "last_error": None,
                "enqueued_at": at,
                "sent_at": None,
                "ledger": [],
            }
            for kind, at in (("firing", created), ("resolved", resolved_at))
        ],
        "reminders": 0,
        "suppressed_by": None,
        "flaps": 0,
        "resolution": "alertmanager",
        # schema 3: nothing answered at PROMETHEUS, and the record says so
        "culprits": [],
        "culprits_note": f"Prometheus could not be reached at {PROMETHEUS}",
        "resolved_value": None,
        "peak_value": None,
        "resolved_note": f"Prometheus could not be reached at {PROMETHEUS}",
        "duration_seconds": pytest.approx(600.3765, abs=1e-3),  # ends_at - starts_at
        "acknowledged_by": None,
        "acknowledged_at": None,
        "ack_comment": None,
        "silence_ids": [],
        # schema 4: two messages owed, none sent yet
        "time_to_page_seconds": None,
        "delivery": "pending",
    }
    assert created <= resolved_at and created.endswith("Z") and len(created) == 24
    assert reader.list_alerts(store, severity="error", status="resolved") == (1, [record])
    assert reader.list_alerts(store, status="resolved", delivery="pending") == (1, [record])
    assert reader.list_alerts(store, delivery="sent") == (0, [])


def test_the_reader_lists_what_the_bridge_wrote_newest_first(bridge, store):
    ids = post(
        bridge,
        alert(fingerprint="a", starts_at="2025-10-15T12:00:00Z"),
        alert(
            fingerprint="b",
            starts_at="2025-10-15T12:05:00Z",
            severity="warning",
            alert_type="high_latency",
            alertname="HighLatency",
        ),
        alert(fingerprint="c", starts_at="2025-10-15T11:00:00Z"),
    )

    total, page = reader.list_alerts(store)

    assert total == 3
    assert [r["id"] for r in page] == [ids[1], ids[0], ids[2]]
    assert [r["id"] for r in reader.list_alerts(store, alert_type="high_latency")[1]] == [ids[1]]
    reader.check_schema(store)
