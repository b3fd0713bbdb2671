"""POST /webhook over a real Redis: bad input stores nothing; good input is stored once."""

import json

import pytest

from alertstore import layout, reader
from tests.bridge.conftest import auth
from tests.bridge.payloads import alert, resolved, webhook


def post(client, body, **headers):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(
        "/webhook", data=data, headers={**auth(), **headers}, content_type="application/json"
    )


def outbox(store):
    return store.lrange(layout.OUTBOX_PENDING_KEY, 0, -1)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "body is not valid JSON"),
        (b"\xff\xfe", "body is not valid JSON"),
        (b"", "body is not valid JSON"),
        (b"[" * 100_000, "body is not valid JSON"),
        ([1, 2], "body: must be a JSON object"),
        ({**webhook(alert()), "version": "3"}, "unsupported webhook version '3'"),
        (webhook(alert(), {**alert(fingerprint="x"), "startsAt": "soon"}), "alerts[1].startsAt"),
        # valid JSON, but a lone surrogate cannot be stored as UTF-8
        (json.dumps(webhook(alert(job="\ud800"))), "labels"),
        (json.dumps(webhook(alert(fingerprint="\udfff"))), "fingerprint"),
    ],
)
def test_bad_payloads_get_400_and_store_nothing(client, store, body, message):
    response = post(client, body)

    assert response.status_code == 400
    assert message in response.get_json()["detail"]
    assert store.dbsize() == 0


def test_the_error_names_the_field(client):
    body = webhook(alert())
    del body["alerts"][0]["fingerprint"]

    assert post(client, body).get_json()["field"] == "alerts[0].fingerprint"


def test_a_body_over_the_limit_gets_413(config, store):
    from dataclasses import replace

    from bridge import create_app

    small = create_app(replace(config, max_body_bytes=2000)).test_client()
    body = webhook(*(alert(fingerprint=f"fp{i}") for i in range(20)))

    response = post(small, body)

    assert response.status_code == 413
    assert "larger than 2000 bytes" in response.get_json()["detail"]
    assert store.dbsize() == 0


def test_stores_and_answers_a_summary(client, store):
    response = post(client, webhook(alert(), alert(fingerprint="other")))

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "stored"
    assert body["enqueued"] == 2
    assert [a["transition"] for a in body["alerts"]] == ["created", "created"]
    record = reader.get_alert(store, body["alerts"][0]["id"])
    assert record["alertname"] == "HighErrorRate"
    assert len(outbox(store)) == 2


def test_the_same_payload_twice_is_one_record_and_one_message(client, store):
    first = post(client, webhook(alert()))
    second = post(client, webhook(alert()))

    assert second.status_code == 200
    assert second.get_json()["alerts"][0] == {
        "id": first.get_json()["alerts"][0]["id"],
        "transition": "duplicate",
        "enqueued": None,
        "superseded": None,
    }
    assert reader.list_alerts(store)[0] == 1
    assert len(outbox(store)) == 1


def test_an_ha_pair_notifying_twice_gives_one_record_per_transition(client, store):
    """Both Alertmanagers of an HA pair deliver each transition, in their own groups."""
    firing, done = alert(), resolved(alert())
    for body in (
        webhook(firing, receiver="slack-error"),
        webhook(firing, receiver="slack-error", group_key="peer-2"),
        webhook(done),
        webhook(done, group_key="peer-2"),
    ):
        assert post(client, body).status_code == 200

    total, (record,) = reader.list_alerts(store)
    assert total == 1
    assert record["status"] == "resolved"
    assert [n["kind"] for n in record["notifications"]] == ["firing", "resolved"]
    assert len(outbox(store)) == 2


def test_a_firing_after_a_resolve_of_the_same_instance_reopens_it(client, store):
    """Issue 11 item 5: one Alertmanager resolved it (partition), the other still fires it.
    A lagging peer's stale firing looks the same and reopens too (lifecycle: the reconciler
    closes that one again)."""
    post(client, webhook(alert()))
    post(client, webhook(resolved(alert())))

    body = post(client, webhook(alert(), group_key="peer-2")).get_json()

    assert body["alerts"][0]["transition"] == "updated"
    assert body["alerts"][0]["enqueued"] == "firing"
    total, (record,) = reader.list_alerts(store)
    assert total == 1
    assert record["status"] == "firing" and record["ends_at"] is None
    assert [n["kind"] for n in record["notifications"]] == ["firing", "resolved", "firing"]


def test_a_refire_after_a_resolve_is_a_new_record_that_pages(client, store):
    post(client, webhook(alert()))
    post(client, webhook(resolved(alert())))
    body = post(client, webhook(alert(starts_at="2025-10-15T12:11:00Z"))).get_json()

    assert body["alerts"][0]["enqueued"] == "firing"  # within the cooldown, never held back
    total, page = reader.list_alerts(store)
    assert total == 2
    assert page[0]["suppressed_by"] is None
    assert page[0]["flaps"] == 1  # re-fired a minute after its resolve


def test_a_newer_instance_resolves_the_older_one(client, store):
    (older,) = [a["id"] for a in post(client, webhook(alert())).get_json()["alerts"]]

    body = post(client, webhook(alert(starts_at="2025-10-15T12:30:00Z"))).get_json()

    assert body["alerts"][0]["superseded"] == older
    record = reader.get_alert(store, older)
    assert (record["status"], record["resolution"]) == ("resolved", "inferred")


def test_heartbeat_alerts_store_nothing(client, store):
    heartbeat = alert(alertname="Heartbeat", severity="none", alert_type="heartbeat")

    only = post(client, webhook(heartbeat, receiver="taskmgr-heartbeat"))
    assert only.status_code == 200
    assert only.get_json()["alerts"] == []
    assert store.dbsize() == 0

    mixed = post(client, webhook(heartbeat, alert(fingerprint="real")))
    assert [a["transition"] for a in mixed.get_json()["alerts"]] == ["created"]
    assert [r["alertname"] for r in reader.list_alerts(store)[1]] == ["HighErrorRate"]
