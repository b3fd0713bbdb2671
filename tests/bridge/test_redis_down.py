"""Redis stopped while webhooks arrive: 503 (Alertmanager retries), then stored once back."""

import pytest

from alertstore import reader
from bridge import create_app
from testkit.redis_server import RedisServer
from tests.bridge.conftest import auth, bridge_config
from tests.bridge.payloads import alert, webhook


@pytest.fixture
def private_redis(tmp_path):
    server = RedisServer(data_dir=tmp_path).start()
    yield server
    server.stop()


def test_503_while_redis_is_down_then_stored_once_it_is_back(private_redis):
    client = create_app(bridge_config(redis_url=private_redis.url)).test_client()
    payload = webhook(alert())

    private_redis.stop()
    down = client.post("/webhook", json=payload, headers=auth())
    not_ready = client.get("/ready")
    private_redis.start()
    back = client.post("/webhook", json=payload, headers=auth())

    assert down.status_code == 503
    assert down.get_json() == {"detail": "alert store unavailable; retry later"}
    assert not_ready.status_code == 503
    assert back.status_code == 200
    assert back.get_json()["alerts"][0]["transition"] == "created"
    assert reader.list_alerts(private_redis.client())[0] == 1


def test_metrics_still_answer_without_redis(private_redis):
    client = create_app(bridge_config(redis_url=private_redis.url)).test_client()
    private_redis.stop()

    response = client.get("/metrics")

    assert response.status_code == 200
    assert b"taskmgr_bridge_webhooks_received_total" in response.data
    assert b"taskmgr_bridge_outbox_depth" not in response.data
