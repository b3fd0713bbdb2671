"""Throttling: anonymous, per user, and per client address on register/token.

Counts live in the Django cache on Redis; the gunicorn test proves one shared count
across worker processes.
"""

import pytest
import requests

from taskmgr.throttling import LIMITER_UNAVAILABLE
from testkit.ports import free_port

TOKEN = "/api/v1/auth/token/"
BAD_LOGIN = {"username": "nobody", "password": "wrong-password"}


@pytest.fixture
def rates(settings):
    """Set throttle rates for one test, e.g. rates(auth="2/min")."""

    def set_rates(**scopes):
        current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**current, **scopes},
        }

    return set_rates


def assert_throttled(response):
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Request was throttled.")
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_auth_endpoints_are_throttled_per_client_address(api_client, rates):
    rates(auth="2/min")
    for _ in range(2):
        assert api_client.post(TOKEN, BAD_LOGIN, format="json").status_code == 400

    assert_throttled(api_client.post(TOKEN, BAD_LOGIN, format="json"))
    # register shares the auth count of this address …
    assert_throttled(api_client.post("/api/v1/auth/register/", {}, format="json"))
    # … a forged X-Forwarded-For does not make a new client …
    forged = api_client.post(TOKEN, BAD_LOGIN, format="json", HTTP_X_FORWARDED_FOR="10.9.8.7")
    assert_throttled(forged)
    # … while another address has its own count.
    other = api_client.post(TOKEN, BAD_LOGIN, format="json", REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 400


@pytest.mark.django_db
def test_users_are_throttled_one_by_one(client_for, make_user, rates):
    rates(user="3/min")
    alice, bob = client_for(make_user("alice")), client_for(make_user("bob"))
    for _ in range(3):
        assert alice.get("/api/v1/tasks/").status_code == 200

    assert_throttled(alice.get("/api/v1/tasks/"))
    assert bob.get("/api/v1/tasks/").status_code == 200


def test_anonymous_requests_are_throttled(api_client, rates):
    rates(anon="2/min")
    for _ in range(2):
        assert api_client.get("/api/v1/schema/?format=json").status_code == 200

    assert_throttled(api_client.get("/api/v1/schema/?format=json"))


def test_health_probes_are_never_throttled(api_client, rates):
    rates(anon="1/min")

    for _ in range(3):
        assert api_client.get("/health").status_code == 200


def test_gunicorn_workers_share_one_count(gunicorn_api):
    # --max-requests 1: every request is served by a fresh worker process, so a
    # per-process count would never reach the limit.
    base = gunicorn_api("--max-requests", "1", GUNICORN_WORKERS="2", THROTTLE_AUTH_RATE="3/min")

    statuses = [
        requests.post(f"{base}{TOKEN}", json=BAD_LOGIN, timeout=30).status_code for _ in range(3)
    ]
    throttled = requests.post(f"{base}{TOKEN}", json=BAD_LOGIN, timeout=30)

    assert statuses == [400, 400, 400]
    assert throttled.status_code == 429, throttled.text
    assert int(throttled.headers["Retry-After"]) > 0
    assert "throttled" in throttled.json()["detail"]


def test_with_redis_down_reads_are_served_and_auth_refuses(gunicorn_api):
    # A port nobody listens on: the throttle cache is unreachable.
    base = gunicorn_api(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

    schema = requests.get(f"{base}/api/v1/schema/?format=json", timeout=30)
    login = requests.post(f"{base}{TOKEN}", json=BAD_LOGIN, timeout=30)

    assert schema.status_code == 200  # anonymous throttle fails open
    assert login.status_code == 503  # brute-force protection fails closed
    assert login.json() == {"detail": LIMITER_UNAVAILABLE}


@pytest.mark.django_db
def test_retry_after_is_when_the_oldest_counted_request_leaves_the_window(
    api_client, rates, redis_server
):
    rates(auth="2/min")

    statuses = [api_client.post(TOKEN, BAD_LOGIN, format="json").status_code for _ in range(5)]
    refused = api_client.post(TOKEN, BAD_LOGIN, format="json")

    assert statuses == [400, 400, 429, 429, 429]
    assert 55 <= int(refused["Retry-After"]) <= 60
    # the log holds the counted requests only: refused ones neither count nor pile up
    (log,) = redis_server.client().keys("*throttle*")
    assert redis_server.client().zcard(log) == 2
