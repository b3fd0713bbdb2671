"""Secrets never appear in any process's log, on the paths most likely to leak them:
failed logins, bad tokens, refused webhooks, server errors, Slack unreachable."""

from __future__ import annotations

import json
import secrets

import requests

from testkit.polling import wait_until
from testkit.ports import free_port
from tests.bridge.payloads import alert, webhook
from tests.security.conftest import start_api, start_bridge


def _exercise_api(api, password: str, metrics_token: str) -> str:
    """Register, log in (wrongly, then rightly), use the token well and badly, force a 500,
    scrape /metrics with a wrong and the right token, log out. Returns the DRF token."""
    base = api.url
    credentials = {"username": "carol", "email": "carol@example.com", "password": password}
    assert requests.post(f"{base}/api/v1/auth/register/", json=credentials, timeout=10).ok
    login = f"{base}/api/v1/auth/token/"
    wrong = {"username": "carol", "password": password[::-1]}
    assert requests.post(login, json=wrong, timeout=10).status_code == 400
    token = requests.post(login, json=credentials, timeout=10).json()["token"]
    good, bad = {"Authorization": f"Token {token}"}, {"Authorization": f"Token {token[::-1]}"}
    tasks = f"{base}/api/v1/tasks/"
    assert requests.get(tasks, headers=good, timeout=10).status_code == 200
    assert requests.get(tasks, headers=bad, timeout=10).status_code == 401
    broken = f'{{"title": "{password}"'.encode()  # malformed JSON carrying the password
    headers = {**good, "Content-Type": "application/json"}
    assert requests.post(tasks, data=broken, headers=headers, timeout=10).status_code == 400
    failing = {**good, "X-Fault-Status": "500"}
    assert requests.get(tasks, headers=failing, timeout=10).status_code == 500
    for guess, status in ((metrics_token[::-1], 401), (metrics_token, 200)):
        scrape = requests.get(
            f"{base}/metrics", headers={"Authorization": f"Bearer {guess}"}, timeout=10
        )
        assert scrape.status_code == status
    logout = requests.post(f"{base}/api/v1/auth/logout/", headers=good, timeout=10)
    assert logout.status_code == 204
    return token


def _exercise_bridge(bridge, token: str) -> None:
    """A wrong token, a malformed payload, then a valid alert the worker cannot deliver."""
    url = f"{bridge.url}/webhook"
    payload = json.dumps(webhook(alert())).encode()
    for auth, body, status in (
        (token[::-1], payload, 401),
        (token, b'{"version": "4", "alerts": [', 400),
        (token, payload, 200),
    ):
        headers = {"Authorization": f"Bearer {auth}", "Content-Type": "application/json"}
        assert requests.post(url, data=body, headers=headers, timeout=10).status_code == status


def test_secrets_never_reach_the_logs(tmp_path, redis_server, start_worker):
    password = f"Pw-{secrets.token_urlsafe(12)}"
    metrics_token = f"mt-{secrets.token_urlsafe(24)}"
    bridge_token = f"bt-{secrets.token_urlsafe(24)}"
    # A Slack webhook URL is a credential; this one refuses connections, so every delivery
    # attempt fails with an error that quotes the URL it tried.
    slack_path = f"/services/T0000/B0000/{secrets.token_urlsafe(16)}"
    slack_url = f"http://127.0.0.1:{free_port()}{slack_path}"
    api = start_api(
        tmp_path / "api",
        DJANGO_LOG_LEVEL="DEBUG",
        GUNICORN_ACCESS_LOG="true",
        METRICS_AUTH_TOKEN=metrics_token,
        FAULT_INJECTION_ENABLED="true",
    )
    bridge = start_bridge(tmp_path / "bridge", ALERT_BRIDGE_TOKEN=bridge_token)
    worker = start_worker(slack_url, ALERT_BRIDGE_TOKEN=bridge_token)
    try:
        drf_token = _exercise_api(api, password, metrics_token)
        _exercise_bridge(bridge, bridge_token)
        wait_until(
            lambda: "slack refused alert" in worker.log_path.read_text(),
            timeout=30,
            what="the worker logging a failed delivery",
        )
    finally:
        api.server.process.stop()
        bridge.stop()
        worker.stop()

    logs = {path.name: path.read_text(errors="replace") for path in tmp_path.rglob("*.log")}
    assert {"api", "bridge", "worker"} <= {name.split("-")[0] for name in logs}, sorted(logs)
    assert "GET /api/v1/tasks/" in "".join(logs.values())  # the access log was on
    named = {
        "user password": password,
        "DRF token": drf_token,
        "operator token": api.staff_token,
        "metrics token": metrics_token,
        "bridge token": bridge_token,
        "Slack webhook path": slack_path,
        "DJANGO_SECRET_KEY": api.server.env["DJANGO_SECRET_KEY"],
    }
    leaks = {
        f"{what} in {name}"
        for what, secret in named.items()
        for name, text in logs.items()
        if secret in text or secret[::-1] in text
    }
    assert not leaks, leaks
