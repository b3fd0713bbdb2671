"""faults/middleware.py: opt-in injected errors and latency, counted like real ones."""

import pytest
from django.test import override_settings
from django.urls import resolve

from faults.middleware import BAD_DELAY, BAD_STATUS, INJECTED_DETAIL
from tests.api.metrics.conftest import RegistryDelta

REQUESTS = "taskmgr_http_requests_total"
# A client route: probes like /health are not traffic and count nowhere.
ROUTE = "/api/v1/docs/"


def test_disabled_by_default_headers_are_ignored(client, settings):
    assert settings.FAULT_INJECTION_ENABLED is False

    response = client.get("/health", headers={"x-fault-status": "503", "x-fault-delay-ms": "x"})

    assert response.status_code == 200


@override_settings(FAULT_INJECTION_ENABLED=True)
def test_an_injected_status_is_answered_and_counted_under_the_route(client):
    delta = RegistryDelta()

    response = client.get(ROUTE, headers={"x-fault-status": "503"})

    assert response.status_code == 503
    assert response.json() == {"detail": INJECTED_DETAIL, "status": 503, "delay_ms": 0}
    labels = {"method": "GET", "route": resolve(ROUTE).route, "status": "503"}
    assert delta.delta(REQUESTS, **labels) == 1, delta.changes()


@override_settings(FAULT_INJECTION_ENABLED=True)
def test_an_injected_delay_is_slept_and_timed(client):
    delta = RegistryDelta()
    labels = {"method": "GET", "route": resolve(ROUTE).route, "status": "200"}

    response = client.get(ROUTE, headers={"x-fault-delay-ms": "120"})

    assert response.status_code == 200
    # A lower bound only: sleep guarantees at least the delay.
    assert delta.delta("taskmgr_http_request_duration_seconds_sum", **labels) >= 0.12
    assert delta.delta("taskmgr_http_request_duration_seconds_bucket", le="0.1", **labels) == 0


@override_settings(FAULT_INJECTION_ENABLED=True)
def test_delay_and_status_combine(client):
    response = client.get("/health", headers={"x-fault-status": "429", "x-fault-delay-ms": "10"})

    assert response.status_code == 429
    assert response.json()["delay_ms"] == 10


@override_settings(FAULT_INJECTION_ENABLED=True)
@pytest.mark.parametrize("value", ["abc", "200", "399", "600", "5O3", ""])
def test_a_bad_status_header_is_a_400_saying_so(client, value):
    response = client.get("/health", headers={"x-fault-status": value})

    assert response.status_code == 400
    assert response.json() == {"detail": BAD_STATUS}


@override_settings(FAULT_INJECTION_ENABLED=True)
@pytest.mark.parametrize("value", ["-1", "30001", "1.5", "soon"])
def test_a_bad_delay_header_is_a_400_saying_so(client, value):
    response = client.get("/health", headers={"x-fault-delay-ms": value, "x-fault-status": "500"})

    assert response.status_code == 400
    assert response.json() == {"detail": BAD_DELAY}
