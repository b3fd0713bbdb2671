"""metrics/exposition.py: /metrics in the text format, optionally behind a bearer token."""

import os

import pytest
from django.test import override_settings
from prometheus_client.exposition import CONTENT_TYPE_LATEST


@pytest.mark.parametrize("path", ["/metrics", "/metrics/"])
def test_metrics_are_exposed_in_the_text_format(client, path):
    client.get("/api/v1/docs/")  # traffic: probes and scrapes count nowhere

    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE_LATEST
    body = response.content.decode()
    for name in (
        "taskmgr_http_requests_total",
        "taskmgr_http_request_duration_seconds_bucket",
        "taskmgr_http_requests_in_flight",
        "taskmgr_tasks_created_total",
    ):
        assert f"\n{name}" in body


@override_settings(METRICS_AUTH_TOKEN="s3cret-scrape-token")
@pytest.mark.parametrize(
    "header", [None, "Bearer wrong", "Token s3cret-scrape-token", "Bearer", "s3cret-scrape-token"]
)
def test_a_configured_token_is_required(client, header):
    headers = {"authorization": header} if header is not None else {}

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "detail" in response.json()


@override_settings(METRICS_AUTH_TOKEN="s3cret-scrape-token")
def test_the_right_token_gets_the_metrics(client):
    response = client.get("/metrics", headers={"authorization": "Bearer s3cret-scrape-token"})

    assert response.status_code == 200
    assert b"taskmgr_http_requests_total" in response.content


def test_a_file_a_starting_worker_has_not_sized_yet_does_not_fail_the_scrape(
    client, tmp_path, redis_server
):
    # prometheus_client creates a worker's file empty and extends it right after; a scrape
    # landing in between used to fail with struct.error (a 500 while workers recycle).
    (tmp_path / f"counter_{os.getpid()}.db").touch()

    with override_settings(PROMETHEUS_MULTIPROC_DIR=str(tmp_path)):
        response = client.get("/metrics")

    assert response.status_code == 200
