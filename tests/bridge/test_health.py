"""/health touches nothing; /ready checks Redis and the schema (503) and reports the
alert pipeline's own health beside them (never a 503): the API's /status body."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alertstore import layout, pipeline
from bridge import create_app
from testkit.ports import free_port


def test_health_touches_nothing(config):
    nowhere = replace(config, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    response = create_app(nowhere).test_client().get("/health")

    assert response.status_code == 200
    assert response.get_json() == {"status": "healthy", "service": "taskmgr-alert-bridge"}


def test_ready_when_redis_answers_and_heartbeats_arrive(client, store):
    pipeline.record_heartbeat(store, datetime.now(UTC))

    response = client.get("/ready")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["service"] == "taskmgr-alert-bridge"
    assert body["checks"] == {"redis": {"status": "ok"}, "alert_history": {"status": "ok"}}
    assert body["pipeline"] == "ok"
    assert body["pipeline_checks"]["slack"] == {"status": "ok"}


def test_not_ready_without_redis(config):
    nowhere = replace(config, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    response = create_app(nowhere).test_client().get("/ready")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error"
    assert "Connection" in body["checks"]["redis"]["message"]
    assert body["pipeline"] == "degraded"


def test_not_ready_on_a_foreign_schema(client, store):
    store.set(layout.SCHEMA_KEY, "7")

    response = client.get("/ready")

    assert response.status_code == 503
    assert "schema is 7" in response.get_json()["checks"]["alert_history"]["message"]


def test_a_late_heartbeat_degrades_the_pipeline_but_not_readiness(config, store):
    app = create_app(
        replace(
            config, heartbeat_timeout_seconds=60, prometheus_url=f"http://127.0.0.1:{free_port()}"
        )
    )
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    pipeline.record_heartbeat(store, an_hour_ago)

    response = app.test_client().get("/ready")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["pipeline"] == "degraded"
    heartbeat = body["pipeline_checks"]["heartbeat"]
    assert heartbeat["status"] == "error"
    assert f"no heartbeat since {heartbeat['last']}" in heartbeat["message"]
    assert "Prometheus at http://127.0.0.1:" in heartbeat["message"]  # the hop it names


def test_slack_refusing_the_webhook_is_named_until_a_later_2xx(client, store):
    pipeline.record_heartbeat(store, datetime.now(UTC))
    now = datetime.now(UTC)
    pipeline.record_slack(store, http_status=410, detail="HTTP 410: channel_is_archived", now=now)

    refused = client.get("/ready").get_json()
    pipeline.record_slack(store, http_status=200, detail=None, now=now)
    cleared = client.get("/ready").get_json()

    assert refused["pipeline"] == "degraded"
    slack = refused["pipeline_checks"]["slack"]
    assert (slack["status"], slack["http_status"]) == ("refused", 410)
    assert "channel_is_archived" in slack["message"]
    assert cleared["pipeline"] == "ok"
    assert cleared["pipeline_checks"]["slack"] == {"status": "ok"}
