"""bench/reference_webhook.py does the work its docstring names: one record and one index
entry per valid alert, nothing for an invalid payload."""

from __future__ import annotations

import json

import pytest

from bench import reference_webhook
from tests.bridge.payloads import alert, webhook


@pytest.fixture
def client(redis_server, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    return reference_webhook.create_app().test_client()


def test_each_alert_is_stored_with_one_index_entry(client, redis_server):
    payload = webhook(alert(fingerprint="a"), alert(fingerprint="b"))

    answer = client.post("/webhook", json=payload)

    assert answer.status_code == 200, answer.json
    store = redis_server.client()
    index = store.zrange(reference_webhook.INDEX_KEY, 0, -1)
    assert len(index) == len(payload["alerts"]) == answer.json["alerts"]
    stored = json.loads(store.get(index[0]))
    assert stored["fingerprint"] == payload["alerts"][0]["fingerprint"]
    assert sorted(store.keys("*")) == sorted([reference_webhook.INDEX_KEY.encode(), *index])


@pytest.mark.parametrize(
    "payload",
    [{"version": "3", "alerts": []}, {"version": "4", "alerts": [{"labels": {}}]}, "nope"],
)
def test_an_invalid_payload_is_refused_and_stores_nothing(client, redis_server, payload):
    answer = client.post("/webhook", json=payload)

    assert answer.status_code == 400
    assert redis_server.client().keys("*") == []
