"""/health touches nothing; /status probes the real database, Redis and Prometheus, and
reports the alert pipeline (heartbeat, Slack) beside them without leaving its 200."""

from datetime import UTC, datetime, timedelta

import pytest

from alertstore import pipeline
from health.apis import SERVICE_NAME
from health.probes import PROBES
from testkit.ports import free_port


@pytest.mark.parametrize("path", ["/health", "/health/"])
def test_health_answers_without_touching_anything(api_client, settings, path):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    _use_prometheus(settings, f"http://127.0.0.1:{free_port()}")

    response = api_client.get(path)  # no database access allowed in this test either

    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "service": SERVICE_NAME}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/status", "/status/"])
def test_status_is_ok_when_every_dependency_answers(
    api_client, settings, redis_server, prometheus, path
):
    settings.REDIS_URL = redis_server.url
    _use_prometheus(settings, prometheus)
    pipeline.record_heartbeat(redis_server.client(), datetime.now(UTC))
    last = redis_server.client().get("taskmgr:pipeline:heartbeat").decode()

    response = api_client.get(path)

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "service": SERVICE_NAME,
        "checks": {name: {"status": "ok"} for name in PROBES},
        "pipeline": "ok",
        "pipeline_checks": {"heartbeat": {"status": "ok", "last": last}, "slack": {"status": "ok"}},
    }


@pytest.mark.django_db
def test_no_heartbeat_degrades_the_pipeline_naming_the_hop_and_stays_200(
    api_client, settings, redis_server, prometheus
):
    settings.REDIS_URL = redis_server.url
    _use_prometheus(settings, prometheus)  # answers, but has no Heartbeat rule loaded
    settings.HEARTBEAT_TIMEOUT_SECONDS = 60
    pipeline.record_heartbeat(redis_server.client(), datetime.now(UTC) - timedelta(minutes=5))

    response = api_client.get("/status")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["pipeline"]) == ("ok", "degraded")
    heartbeat = body["pipeline_checks"]["heartbeat"]
    assert heartbeat["status"] == "error"
    assert heartbeat["message"].startswith(f"no heartbeat since {heartbeat['last']} (timeout 60s)")
    assert "does not fire the Heartbeat rule" in heartbeat["message"]


@pytest.mark.django_db
def test_slack_refusing_is_named_with_its_http_status(
    api_client, settings, redis_server, prometheus
):
    settings.REDIS_URL = redis_server.url
    _use_prometheus(settings, prometheus)
    now = datetime.now(UTC)
    pipeline.record_heartbeat(redis_server.client(), now)
    pipeline.record_slack(redis_server.client(), http_status=403, detail="HTTP 403: x", now=now)

    body = api_client.get("/status").json()

    assert body["pipeline"] == "degraded"
    slack = body["pipeline_checks"]["slack"]
    assert (slack["status"], slack["http_status"]) == ("refused", 403)
    assert body["pipeline_checks"]["heartbeat"]["status"] == "ok"


@pytest.mark.django_db
def test_status_is_503_naming_the_failed_dependencies(api_client, settings, redis_server):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    _use_prometheus(settings, f"http://127.0.0.1:{free_port()}")

    response = api_client.get("/status")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == {"status": "ok"}
    for name in ("redis", "prometheus"):
        assert body["checks"][name]["status"] == "error"
        assert "Connection" in body["checks"][name]["message"]
    assert body["pipeline"] == "degraded"  # unknown, as its state lives in Redis


@pytest.mark.django_db
def test_one_prometheus_of_the_pair_down_stays_ready_and_names_it(
    api_client, settings, redis_server, prometheus
):
    settings.REDIS_URL = redis_server.url
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    _use_prometheus(settings, down, prometheus)
    pipeline.record_heartbeat(redis_server.client(), datetime.now(UTC))

    response = api_client.get("/status")

    assert response.status_code == 200, response.json()  # the summary fails over to the other
    check = response.json()["checks"]["prometheus"]
    assert check["status"] == "ok"
    assert check["message"].startswith(f"1 of 2 ready; not ready: {down}: ConnectionError"), check


def _use_prometheus(settings, *urls: str) -> None:
    settings.PROMETHEUS_URLS = list(urls)
    settings.PROMETHEUS_URL = urls[0]


def test_probes_cover_the_spec_dependencies():
    assert {"database", "redis", "prometheus"} <= set(PROBES)
