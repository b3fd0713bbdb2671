"""metrics/middleware.py: every request counted and timed under its route template."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import resolve
from rest_framework.authtoken.models import Token

from health.apis import HealthApi, StatusApi
from metrics import instruments
from metrics.active_users import KEY, RECORDER
from metrics.exposition import metrics_view, render_metrics
from metrics.middleware import NOT_TRAFFIC_PATHS, MetricsMiddleware

# A client route that touches no database and needs no credentials.
CLIENT_ROUTE = "/api/v1/docs/"
REQUESTS = "taskmgr_http_requests_total"
RESPONSES = "taskmgr_http_responses_total"
DURATION_COUNT = "taskmgr_http_request_duration_seconds_count"
IN_FLIGHT = "taskmgr_http_requests_in_flight"


def test_a_request_is_counted_and_timed_under_its_route(client, registry_delta):
    route = resolve(CLIENT_ROUTE).route

    response = client.get(CLIENT_ROUTE)

    labels = {"method": "GET", "route": route, "status": str(response.status_code)}
    changes = registry_delta.changes()
    assert registry_delta.delta(REQUESTS, **labels) == 1, changes
    assert registry_delta.delta(DURATION_COUNT, **labels) == 1, changes
    assert registry_delta.delta(RESPONSES, **{"class": "2xx"}) == 1, changes
    assert registry_delta.delta(IN_FLIGHT) == 0, changes


def test_ids_never_become_labels(client, registry_delta):
    task_id = str(uuid.uuid4())

    response = client.get(f"/api/v1/tasks/{task_id}/")

    template = resolve(f"/api/v1/tasks/{task_id}/").route
    assert task_id not in template and template.startswith("api/v1/tasks/")
    labels = {"method": "GET", "route": template, "status": str(response.status_code)}
    assert registry_delta.delta(REQUESTS, **labels) == 1, registry_delta.changes()
    assert task_id not in render_metrics().decode()


def test_a_path_no_route_matches_is_labelled_unmatched(client, registry_delta):
    missing = f"/no/such/thing/{uuid.uuid4()}"

    response = client.get(missing)

    assert response.status_code == 404
    labels = {"method": "GET", "route": instruments.UNMATCHED_ROUTE, "status": "404"}
    assert registry_delta.delta(REQUESTS, **labels) == 1, registry_delta.changes()
    assert registry_delta.delta(RESPONSES, **{"class": "4xx"}) == 1, registry_delta.changes()
    assert missing not in render_metrics().decode()


def test_unknown_methods_are_clamped(client, registry_delta):
    response = client.generic("BREW", CLIENT_ROUTE)

    labels = {"method": instruments.OTHER_METHOD, "route": resolve(CLIENT_ROUTE).route}
    labels["status"] = str(response.status_code)
    assert registry_delta.delta(REQUESTS, **labels) == 1, registry_delta.changes()


def test_an_escaping_exception_counts_as_500_and_is_re_raised(registry_delta):
    def explode(request):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        MetricsMiddleware(explode)(RequestFactory().post("/anything"))

    labels = {"method": "POST", "route": instruments.UNMATCHED_ROUTE, "status": "500"}
    changes = registry_delta.changes()
    assert registry_delta.delta(REQUESTS, **labels) == 1, changes
    assert registry_delta.delta(RESPONSES, **{"class": "5xx"}) == 1, changes
    assert registry_delta.delta(IN_FLIGHT) == 0, changes


@pytest.mark.parametrize(("status", "status_class"), [(101, "1xx"), (302, "3xx"), (503, "5xx")])
def test_every_response_is_counted_in_its_status_class(registry_delta, status, status_class):
    MetricsMiddleware(lambda request: HttpResponse(status=status))(RequestFactory().get("/"))

    changes = registry_delta.changes()
    assert registry_delta.delta(RESPONSES, **{"class": status_class}) == 1, changes
    moved = {dict(labels)["class"] for name, labels in changes if name == RESPONSES}
    assert moved == {status_class}, changes


def test_in_flight_counts_the_request_while_it_runs(registry_delta):
    seen = []

    def view(request):
        seen.append(registry_delta.delta(IN_FLIGHT))
        return HttpResponse()

    MetricsMiddleware(view)(RequestFactory().get("/"))

    assert seen == [1]
    assert registry_delta.delta(IN_FLIGHT) == 0


@pytest.mark.django_db
def test_token_authenticated_users_are_recorded_once_each(client, active_users):
    users = [get_user_model().objects.create_user(f"user{n}", password="x") for n in range(2)]
    tokens = [Token.objects.create(user=user).key for user in users]

    for token in [*tokens, tokens[0], tokens[0]]:
        client.get("/api/v1/alerts/", headers={"authorization": f"Token {token}"})
    client.get("/api/v1/alerts/")  # anonymous: nobody to record
    RECORDER.flush()

    assert sorted(active_users.zrange(KEY, 0, -1)) == sorted(str(u.pk).encode() for u in users)


@pytest.mark.parametrize("path", sorted(NOT_TRAFFIC_PATHS))
def test_probes_and_scrapes_touch_no_instrument(client, registry_delta, path):
    # Prometheus' 1 s scrape alone used to lift the fast profile's 1 req/s traffic guard.
    seen = []
    response = client.get(path)
    # a failing probe too: an injected 503 on /health is not a client's 5xx
    with override_settings(FAULT_INJECTION_ENABLED=True):
        seen.append(client.get(path, headers={"x-fault-status": "503"}).status_code)

    assert response.status_code in (200, 503), response.content  # /status: 503 w/o Prometheus
    assert seen == [503]
    moved = [key for key in registry_delta.changes() if key[0].startswith("taskmgr_http_")]
    assert moved == [], registry_delta.changes()


@pytest.mark.parametrize("path", sorted(NOT_TRAFFIC_PATHS))
def test_every_path_left_out_is_a_probe_or_the_scrape(path):
    # The list is kept by hand: it must name the probe views' own URLs and nothing else.
    view = resolve(path).func
    assert getattr(view, "view_class", view) in (HealthApi, StatusApi, metrics_view)


def test_a_near_miss_of_a_probe_path_is_traffic(client, registry_delta):
    client.get("/healthz")

    labels = {"method": "GET", "route": instruments.UNMATCHED_ROUTE, "status": "404"}
    assert registry_delta.delta(REQUESTS, **labels) == 1, registry_delta.changes()
