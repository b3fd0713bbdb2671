"""/health touches nothing; /ready checks Redis and the schema."""

from dataclasses import replace

from alertstore import layout
from bridge import create_app
from tests.support.ports import free_port


def test_health_touches_nothing(config):
    nowhere = replace(config, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    response = create_app(nowhere).test_client().get("/health")

    assert response.status_code == 200
    assert response.get_json() == {"status": "healthy", "service": "taskmgr-alert-bridge"}


def test_ready_when_redis_answers(client, store):
    response = client.get("/ready")

    assert response.status_code == 200
    assert response.get_json()["status"] == "ready"


def test_not_ready_without_redis(config):
    nowhere = replace(config, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    response = create_app(nowhere).test_client().get("/ready")

    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_not_ready_on_a_foreign_schema(client, store):
    store.set(layout.SCHEMA_KEY, "7")

    response = client.get("/ready")

    assert response.status_code == 503
    assert "schema is 7" in response.get_json()["redis"]
