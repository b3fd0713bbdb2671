"""The security controls, checked on real processes configured as in production.

Also covered elsewhere (docs/security.md lists them): staff-only alert history
(tests/api/alerts/test_apis.py), `check --deploy` (tests/api/test_settings.py), the
throttles' unit behaviour (tests/api/test_throttling.py), CORS settings
(tests/api/test_cors.py).
"""

from __future__ import annotations

import hmac

import pytest
import requests

from bridge import auth
from metrics import exposition
from tests.security.conftest import PROXY_HTTPS, start_api

METRICS_TOKEN = "metrics-scrape-token-0123456789"
ALLOWED_ORIGIN = "https://app.example.com"
HTTPS = PROXY_HTTPS


@pytest.fixture(scope="module")
def hardened_api(tmp_path_factory):
    """Production settings: HTTPS behind a proxy, /metrics restricted, one CORS origin."""
    api = start_api(
        tmp_path_factory.mktemp("hardened"),
        DJANGO_SECURE_HTTPS="true",
        METRICS_AUTH_TOKEN=METRICS_TOKEN,
        CORS_ALLOWED_ORIGINS=ALLOWED_ORIGIN,
    )
    try:
        yield api
    finally:
        api.server.process.stop()


def get(api, path, **headers):
    return requests.get(f"{api.url}{path}", headers={**HTTPS, **headers}, timeout=10)


# --- tokens are compared in constant time ---------------------------------------------------
# A timing test cannot pass reliably on a shared machine, so these prove the comparison is
# made by hmac.compare_digest (constant time for equal-length inputs) and not by ==.


_compare_digest = hmac.compare_digest


class CompareSpy:
    def __init__(self):
        self.calls = []

    def __call__(self, given, expected):
        self.calls.append((given, expected))
        return _compare_digest(given, expected)


def test_bridge_token_is_compared_with_compare_digest(monkeypatch):
    spy = CompareSpy()
    monkeypatch.setattr(auth.hmac, "compare_digest", spy)

    assert auth.token_problem("Bearer wrong-token", "the-real-token") == "invalid bearer token"
    assert auth.token_problem("Bearer the-real-token", "the-real-token") is None
    assert spy.calls == [
        (b"wrong-token", b"the-real-token"),
        (b"the-real-token", b"the-real-token"),
    ]


def test_metrics_token_is_compared_with_compare_digest(monkeypatch, rf, settings):
    settings.METRICS_AUTH_TOKEN = METRICS_TOKEN
    spy = CompareSpy()
    monkeypatch.setattr(exposition.hmac, "compare_digest", spy)

    assert not exposition._authorized(rf.get("/metrics", HTTP_AUTHORIZATION="Bearer guess"))
    assert spy.calls == [(b"guess", METRICS_TOKEN.encode())]


# --- /metrics can be restricted -------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {METRICS_TOKEN}", "Bearer"])
def test_restricted_metrics_refuse_without_the_token(hardened_api, header):
    response = get(hardened_api, "/metrics", **({"Authorization": header} if header else {}))

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "taskmgr_http_requests_total" not in response.text


def test_restricted_metrics_answer_the_scraper(hardened_api):
    response = get(hardened_api, "/metrics", Authorization=f"Bearer {METRICS_TOKEN}")

    assert response.status_code == 200
    assert "taskmgr_http_requests_total" in response.text


# --- secure headers, HTTPS, CORS --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/health", "/api/v1/tasks/", "/api/v1/docs/"])
def test_secure_headers_on_every_kind_of_answer(hardened_api, path):
    response = get(hardened_api, path)

    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )


def test_plain_http_is_redirected_to_https(hardened_api):
    response = requests.get(f"{hardened_api.url}/api/v1/tasks/", allow_redirects=False, timeout=10)

    assert response.status_code == 301
    assert (
        response.headers["Location"]
        == f"https://127.0.0.1:{hardened_api.server.port}/api/v1/tasks/"
    )


@pytest.mark.parametrize("path", ["/health", "/status", "/metrics"])
def test_probes_and_scrapes_are_answered_over_plain_http(hardened_api, path):
    # orchestrators and Prometheus talk to the app directly, not through the TLS proxy
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    response = requests.get(f"{hardened_api.url}{path}", headers=headers, timeout=10)

    assert response.status_code in (200, 503)  # /status: 503 without a Prometheus
    assert response.headers["Content-Type"].startswith(("application/json", "text/plain"))


def test_without_https_setting_there_is_no_hsts(live_api):
    response = requests.get(f"{live_api.url}/health", timeout=10)

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def preflight(api, origin):
    headers = {
        **HTTPS,
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    return requests.options(f"{api.url}/api/v1/tasks/", headers=headers, timeout=10)


def test_cors_allows_the_listed_origin(hardened_api):
    response = preflight(hardened_api, ALLOWED_ORIGIN)

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "authorization" in response.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("origin", ["https://evil.example", "http://app.example.com", "null"])
def test_cors_ignores_any_other_origin(hardened_api, origin):
    response = preflight(hardened_api, origin)

    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


# --- tokens can be revoked, guessing passwords is throttled -----------------------------------


def test_logout_revokes_the_token_on_every_worker(live_api):
    token = live_api.register("leaving")
    headers = {"Authorization": f"Token {token}"}
    tasks = f"{live_api.url}/api/v1/tasks/"
    assert requests.get(tasks, headers=headers, timeout=10).status_code == 200

    logout = requests.post(f"{live_api.url}/api/v1/auth/logout/", headers=headers, timeout=10)

    assert logout.status_code == 204
    # fresh connections, so both gunicorn workers get asked
    for _ in range(6):
        refused = requests.get(tasks, headers=headers, timeout=10)
        assert refused.status_code == 401
        assert refused.json() == {"detail": "Invalid token."}


def test_password_guessing_is_throttled_across_workers(tmp_path, redis_server):
    # redis_server: counts start from zero (other servers of this session used the same
    # address); the operator login below uses the first of the five
    api = start_api(tmp_path, THROTTLE_AUTH_RATE="5/min")
    try:
        url = f"{api.url}/api/v1/auth/token/"
        guesses = [
            requests.post(url, json={"username": "operator", "password": f"guess-{n}"}, timeout=10)
            for n in range(8)
        ]
        statuses = [r.status_code for r in guesses]
        assert statuses == [400] * 4 + [429] * 4, statuses
        throttled = guesses[-1]
        assert 0 < int(throttled.headers["Retry-After"]) <= 60
        assert throttled.json()["detail"].startswith("Request was throttled.")
        # even the right password waits now, and registering shares the count
        right = {"username": "operator", "password": "Op-erator-pass-42"}
        assert requests.post(url, json=right, timeout=10).status_code == 429
        register = requests.post(f"{api.url}/api/v1/auth/register/", json={}, timeout=10)
        assert register.status_code == 429
    finally:
        api.server.process.stop()
