"""REDIS_WAIT_REPLICAS: a webhook is acknowledged only once WAIT says a replica holds its
write, and the delivery worker delivers only under a lease a replica holds. Real
redis-server primaries and replicas on free ports."""

import pytest

from alertstore import layout, reader
from bridge import create_app
from testkit.polling import wait_until
from testkit.redis_server import RedisServer
from tests.bridge.conftest import auth, bridge_config, no_prometheus
from tests.bridge.payloads import alert, webhook

DEADLINE = 60


@pytest.fixture
def primary():
    server = RedisServer().start()
    yield server
    server.cleanup()


@pytest.fixture
def replica_of():
    started = []

    def start(primary: RedisServer) -> RedisServer:
        server = RedisServer(args=("--replicaof", "127.0.0.1", str(primary.port))).start()
        started.append(server)
        wait_until(
            lambda: server.client().info("replication")["master_link_status"] == "up",
            "the replica in sync",
            timeout=DEADLINE,
        )
        return server

    yield start
    for server in started:
        server.cleanup()


def test_a_webhook_no_replica_holds_is_refused_then_stored_once_when_one_does(primary, replica_of):
    config = bridge_config(
        redis_url=primary.url,
        redis_wait_replicas=1,
        # generous: a replica in sync acknowledges in milliseconds, but not on a loaded box
        redis_wait_timeout_ms=2000,
        prometheus_query_urls=(no_prometheus(),),
    )
    client = create_app(config).test_client()
    body = webhook(alert())

    refused = client.post("/webhook", json=body, headers=auth())
    assert refused.status_code == 503
    assert refused.get_json() == {"detail": "alert store not replicated; retry later"}

    replica = replica_of(primary)
    accepted = client.post("/webhook", json=body, headers=auth())  # Alertmanager's retry
    assert accepted.status_code == 200, accepted.get_json()
    (stored,) = accepted.get_json()["alerts"]
    # acknowledged means the replica has it already, not eventually
    assert replica.client().get(layout.record_key(stored["id"])) is not None
    total, records = reader.list_alerts(primary.client())
    assert (total, [r["id"] for r in records]) == (1, [stored["id"]])
    assert [n["kind"] for n in records[0]["notifications"]] == ["firing"]


def test_a_worker_whose_lease_no_replica_holds_sends_nothing(
    client, store, fake_slack, start_worker
):
    response = client.post("/webhook", json=webhook(alert()), headers=auth())
    assert response.status_code == 200
    (stored,) = response.get_json()["alerts"]

    worker = start_worker(fake_slack.url, REDIS_WAIT_REPLICAS="1", REDIS_WAIT_TIMEOUT_MS="100")
    wait_until(
        lambda: "outbox lease not on the replicas" in worker.log_tail(),
        "the worker to refuse a lease no replica holds",
        timeout=DEADLINE,
    )

    assert fake_slack.attempts == []
    record = reader.get_alert(store, stored["id"])
    assert [n["state"] for n in record["notifications"]] == ["pending"]
