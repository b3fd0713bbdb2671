"""The bridge's settings: read from the environment here and nowhere else, validated once.

Used by both processes of the service: the web app (`create_app`) and the delivery worker.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

MIN_TOKEN_LENGTH = 16


class ConfigError(ValueError):
    """An environment variable is missing or invalid; the message names it."""


@dataclass(frozen=True)
class BridgeConfig:
    token: str
    redis_url: str = "redis://127.0.0.1:6380/0"
    slack_webhook_url: str | None = None  # None: keep the history, send nothing
    cooldown_seconds: int = 300
    max_body_bytes: int = 1024 * 1024
    slack_timeout_seconds: float = 5.0
    delivery_max_backoff_seconds: float = 300.0
    delivery_lease_seconds: float = 15.0
    delivery_max_retry_after_seconds: float = 60.0  # upper bound on obeying Retry-After
    heartbeat_timeout_seconds: float = 300.0  # no heartbeat this long = pipeline broken
    host: str = "127.0.0.1"  # the web app (gunicorn) and the worker's /metrics listen here
    port: int = 8001
    outbox_metrics_port: int = 8002
    multiproc_dir: str | None = None  # set under gunicorn: metrics shared by workers
    prometheus_url: str = "http://127.0.0.1:9090"
    alertmanager_url: str = "http://127.0.0.1:9093"
    grafana_url: str = "http://127.0.0.1:3000"
    # WP1 owns these (stack settings, from_env); minimal here so the lifecycle runs.
    flap_window_seconds: int = 3600
    alertmanager_urls: tuple[str, ...] = ()
    reconcile_interval_seconds: float = 60.0

    def __post_init__(self) -> None:
        if len(self.token) < MIN_TOKEN_LENGTH:
            raise ConfigError(
                f"ALERT_BRIDGE_TOKEN must be at least {MIN_TOKEN_LENGTH} characters "
                "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        _check_url("REDIS_URL", self.redis_url, ("redis", "rediss", "unix"))
        if self.slack_webhook_url is not None:
            _check_url("SLACK_WEBHOOK_URL", self.slack_webhook_url, ("http", "https"))
        for name, url in (
            ("PROMETHEUS_EXTERNAL_URL", self.prometheus_url),
            ("ALERTMANAGER_EXTERNAL_URL", self.alertmanager_url),
            ("GRAFANA_URL", self.grafana_url),
        ):
            _check_url(name, url, ("http", "https"))
        if self.cooldown_seconds < 1:
            raise ConfigError("ALERT_COOLDOWN_SECONDS must be at least 1")
        if self.max_body_bytes < 1:
            raise ConfigError("BRIDGE_MAX_BODY_BYTES must be at least 1")
        if self.slack_timeout_seconds <= 0 or self.delivery_max_backoff_seconds <= 0:
            raise ConfigError(
                "SLACK_TIMEOUT_SECONDS and DELIVERY_MAX_BACKOFF_SECONDS must be positive"
            )
        if self.delivery_max_retry_after_seconds < 0 or self.heartbeat_timeout_seconds <= 0:
            raise ConfigError(
                "DELIVERY_MAX_RETRY_AFTER_SECONDS must not be negative and "
                "HEARTBEAT_TIMEOUT_SECONDS must be positive"
            )
        # The lease is renewed before each send; it must outlive the longest send, or a
        # second worker could take over and send the same message again.
        if self.delivery_lease_seconds <= self.slack_timeout_seconds:
            raise ConfigError(
                "DELIVERY_LEASE_SECONDS must be longer than SLACK_TIMEOUT_SECONDS "
                f"({self.slack_timeout_seconds:g})"
            )
        for name, port in (
            ("BRIDGE_PORT", self.port),
            ("OUTBOX_METRICS_PORT", self.outbox_metrics_port),
        ):
            if not 0 < port <= 65535:
                raise ConfigError(f"{name} must be a port number (1-65535)")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> BridgeConfig:
        def get(name: str, default: str) -> str:
            return env.get(name, "").strip() or default

        token = env.get("ALERT_BRIDGE_TOKEN", "")
        if not token:
            raise ConfigError(
                "ALERT_BRIDGE_TOKEN is required (the bearer token Alertmanager sends)"
            )
        return cls(
            token=token,
            redis_url=get("REDIS_URL", cls.redis_url),
            slack_webhook_url=env.get("SLACK_WEBHOOK_URL", "").strip() or None,
            cooldown_seconds=_number(env, "ALERT_COOLDOWN_SECONDS", cls.cooldown_seconds, int),
            max_body_bytes=_number(env, "BRIDGE_MAX_BODY_BYTES", cls.max_body_bytes, int),
            slack_timeout_seconds=_number(
                env, "SLACK_TIMEOUT_SECONDS", cls.slack_timeout_seconds, float
            ),
            delivery_max_backoff_seconds=_number(
                env, "DELIVERY_MAX_BACKOFF_SECONDS", cls.delivery_max_backoff_seconds, float
            ),
            delivery_lease_seconds=_number(
                env, "DELIVERY_LEASE_SECONDS", cls.delivery_lease_seconds, float
            ),
            delivery_max_retry_after_seconds=_number(
                env,
                "DELIVERY_MAX_RETRY_AFTER_SECONDS",
                cls.delivery_max_retry_after_seconds,
                float,
            ),
            heartbeat_timeout_seconds=_number(
                env, "HEARTBEAT_TIMEOUT_SECONDS", cls.heartbeat_timeout_seconds, float
            ),
            outbox_metrics_port=_number(env, "OUTBOX_METRICS_PORT", cls.outbox_metrics_port, int),
            host=get("BRIDGE_HOST", cls.host),
            port=_number(env, "BRIDGE_PORT", cls.port, int),
            multiproc_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
            prometheus_url=get("PROMETHEUS_EXTERNAL_URL", cls.prometheus_url),
            alertmanager_url=get("ALERTMANAGER_EXTERNAL_URL", cls.alertmanager_url),
            grafana_url=get("GRAFANA_URL", cls.grafana_url),
        )


def _number(env: Mapping[str, str], name: str, default, kind):
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value):
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name} must be {what}, got {raw!r}")
    return value


def _check_url(name: str, url: str, schemes: tuple[str, ...]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in schemes or not (parts.netloc or parts.scheme == "unix"):
        raise ConfigError(f"{name} must be a {'/'.join(schemes)} URL, got {url!r}")
