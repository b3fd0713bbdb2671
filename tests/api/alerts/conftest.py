"""Fixtures for the alert-history API: users by role and records written by the real writer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from alertstore import writer
from alertstore.records import AlertEvent

T0 = datetime(2025, 10, 1, 12, 0, tzinfo=UTC)


def _client(*, is_staff: bool | None) -> APIClient:
    client = APIClient()
    if is_staff is not None:
        name = "operator" if is_staff else "someone"
        user = get_user_model().objects.create_user(name, password="x", is_staff=is_staff)
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def staff_client(db) -> APIClient:
    return _client(is_staff=True)


@pytest.fixture
def user_client(db) -> APIClient:
    return _client(is_staff=False)


@pytest.fixture
def anon_client() -> APIClient:
    return _client(is_staff=None)


@pytest.fixture
def store_alert(redis_server):
    """store_alert(minutes_after_T0, alertname=..., severity=..., resolved=False) -> id."""
    client = redis_server.client()

    def store(minutes: int, *, alertname="HighErrorRate", severity="error", resolved=False) -> str:
        starts_at = T0 + timedelta(minutes=minutes)
        event = AlertEvent(
            status="resolved" if resolved else "firing",
            labels={"alertname": alertname, "severity": severity, "route": "api/v1/tasks/"},
            annotations={"summary": f"{alertname} at {minutes}", "value": "7.5", "threshold": "5"},
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=1) if resolved else None,
            fingerprint=f"{alertname}-{minutes}",
        )
        outcome = writer.record_transition(
            client,
            event,
            now=starts_at + timedelta(seconds=1),
            cooldown_seconds=300,
            flap_window_seconds=3600,
        )
        return outcome.alert_id

    return store
