"""Settings read from the environment: insecure or malformed values stop the service.

Each case starts `manage.py` in a subprocess, because settings are read once per process.
"""

import pytest

from tests.api.servers import api_env, manage

STRONG_KEY = "k" * 30 + "-Z8x_Qm3vR7tY2wL9pN4sD6"


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        "short-but-random-3f9a",
        "your-secret-key-here-change-in-production",
        "django-insecure-" + "x" * 60,
    ],
)
def test_production_refuses_to_start_without_a_real_secret_key(tmp_path, key):
    result = manage(api_env(tmp_path, DJANGO_SECRET_KEY=key), "check")

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY must be set" in result.stderr


def test_debug_mode_starts_without_a_secret_key(tmp_path):
    result = manage(api_env(tmp_path, DJANGO_SECRET_KEY=None, DJANGO_DEBUG="true"), "check")

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG='maybe' is not a boolean"),
        ("DJANGO_SECURE_HTTPS", "yes please", "DJANGO_SECURE_HTTPS='yes please' is not a boolean"),
        ("FAULT_INJECTION_ENABLED", "2", "FAULT_INJECTION_ENABLED='2' is not a boolean"),
        ("GUNICORN_WORKERS", "two", "GUNICORN_WORKERS='two' is not an integer"),
        ("GUNICORN_WORKERS", "0", "GUNICORN_WORKERS=0 must be at least 1"),
        ("HEARTBEAT_TIMEOUT_SECONDS", "5m", "HEARTBEAT_TIMEOUT_SECONDS='5m' is not a number"),
        ("METRICS_AUTH_TOKEN", "short", "METRICS_AUTH_TOKEN must be at least 16 characters"),
        ("API_PORT", "http", "API_PORT='http' is not an integer"),
        ("THROTTLE_ANON_RATE", "100/month", "THROTTLE_ANON_RATE='100/month': expected"),
        ("THROTTLE_USER_RATE", "lots", "THROTTLE_USER_RATE='lots': expected"),
        ("THROTTLE_AUTH_RATE", "0/min", "THROTTLE_AUTH_RATE='0/min': the count must be"),
        ("IDEMPOTENCY_KEY_TTL_SECONDS", "1d", "IDEMPOTENCY_KEY_TTL_SECONDS='1d' is not an integer"),
        ("IDEMPOTENCY_KEY_TTL_SECONDS", "0", "IDEMPOTENCY_KEY_TTL_SECONDS=0 must be at least 1"),
        ("REDIS_SENTINELS", "sentinel-a", "REDIS_SENTINELS: bad entry 'sentinel-a'"),
    ],
)
def test_malformed_values_stop_startup_naming_the_variable(tmp_path, name, value, message):
    result = manage(api_env(tmp_path, **{name: value}), "check")

    assert result.returncode != 0
    assert message in result.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = api_env(
        tmp_path,
        DJANGO_SECRET_KEY=STRONG_KEY,
        DJANGO_DEBUG="false",
        DJANGO_SECURE_HTTPS="true",
        DJANGO_ALLOWED_HOSTS="api.example.com",
    )

    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr


def test_settings_expose_the_observability_defaults(settings):
    """Without an api.env (as under pytest), the stack's table gives the shared values."""
    assert settings.PROMETHEUS_URL == "http://127.0.0.1:9090"
    assert settings.FAULT_INJECTION_ENABLED is False
    assert settings.METRICS_AUTH_TOKEN == ""
    assert settings.SUMMARY_WINDOW_LABEL == "5 minutes"
    assert settings.HEARTBEAT_TIMEOUT_SECONDS == 300


def test_the_api_does_not_read_the_alert_cooldown(settings):
    """Alertmanager and the bridge own the cooldown; the API never used it."""
    assert not hasattr(settings, "ALERT_COOLDOWN_SECONDS")
