"""/health touches nothing; /status probes the real database, Redis and Prometheus."""

import pytest

from health.apis import SERVICE_NAME
from health.probes import PROBES
from tests.support.ports import free_port


@pytest.mark.parametrize("path", ["/health", "/health/"])
def test_health_answers_without_touching_anything(api_client, settings, path):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings.PROMETHEUS_URL = f"http://127.0.0.1:{free_port()}"

    response = api_client.get(path)  # no database access allowed in this test either

    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "service": SERVICE_NAME}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/status", "/status/"])
def test_status_is_ok_when_every_dependency_answers(
    api_client, settings, redis_server, prometheus, path
):
    settings.REDIS_URL = redis_server.url
    settings.PROMETHEUS_URL = prometheus

    response = api_client.get(path)

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "service": SERVICE_NAME,
        "checks": {name: {"status": "ok"} for name in PROBES},
    }


@pytest.mark.django_db
def test_status_is_503_naming_the_failed_dependencies(api_client, settings, redis_server):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    settings.PROMETHEUS_URL = f"http://127.0.0.1:{free_port()}"

    response = api_client.get("/status")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == {"status": "ok"}
    for name in ("redis", "prometheus"):
        assert body["checks"][name]["status"] == "error"
        assert "Connection" in body["checks"][name]["message"]


def test_probes_cover_the_spec_dependencies():
    assert {"database", "redis", "prometheus"} <= set(PROBES)
