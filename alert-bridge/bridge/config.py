"""The bridge's settings: read from the environment here and nowhere else, validated once.

Used by both processes of the service: the web app (`create_app`) and the delivery worker.
Every value arrives in the process' env file (`bridge.env` / `worker.env`, rendered from
stack/settings/table.py, the one place their defaults are written): a missing one is an
error naming it, never a default of our own. Tests build a config from the stack's defaults
(tests/bridge/conftest.py, `bridge_config`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from alertstore import trim
from alertstore.connection import Durability, RedisTarget
from stack.settings.parsers import MAX_ACK_TTL_SECONDS
from stack.tokens import MIN_SIGNING_KEY_LENGTH, token_problem


class ConfigError(ValueError):
    """An environment variable is missing or invalid; the message names it."""


@dataclass(frozen=True, kw_only=True)
class BridgeConfig:
    token: str
    redis_url: str
    redis_wait_replicas: int  # a write counts once this many replicas hold it (WAIT)
    redis_wait_timeout_ms: int  # ... within this bound, or the webhook answers 503
    cooldown_seconds: int
    max_body_bytes: int
    slack_timeout_seconds: float
    delivery_max_backoff_seconds: float
    delivery_max_retry_after_seconds: float  # the longest Retry-After from Slack obeyed
    delivery_lease_seconds: float
    flap_window_seconds: int  # a re-fire this soon after a resolve counts as a flap
    reconcile_interval_seconds: float
    alertmanager_warmup_seconds: float  # an Alertmanager younger than this decides no resolve
    starts_at_tolerance_seconds: float  # startsAt this close: one instance (a Prometheus pair)
    heartbeat_timeout_seconds: float
    alert_history_retention_days: int  # the worker's trimmer removes what resolved before
    host: str  # the web app (gunicorn) and the worker's /metrics listen here
    port: int
    outbox_metrics_port: int
    prometheus_url: str  # links in Slack messages
    prometheus_query_urls: tuple[str, ...]  # asked in order, first answer wins (bridge.prom)
    prometheus_query_budget_seconds: float  # the most those questions add to a webhook
    alertmanager_url: str
    alertmanager_urls: tuple[str, ...]  # the Alertmanager APIs reconciliation asks
    external_url: str  # where people open the bridge's pages (Acknowledge links)
    ack_signing_key: str  # HMAC-SHA256 key of Acknowledge links; never logged
    ack_link_ttl_seconds: int  # an Acknowledge link works this long after it is sent
    alertmanager_ui: bool  # Alertmanager serves its web UI: only then a Silence link
    slack_webhook_url: str | None = None  # None: keep the history, send nothing
    grafana_url: str | None = None  # None: no Grafana link (GRAFANA_URL empty)
    multiproc_dir: str | None = None  # set under gunicorn: metrics shared by workers
    redis_sentinels: tuple[tuple[str, int], ...] = ()  # (): REDIS_URL is the server
    redis_sentinel_master: str = ""

    @property
    def redis_target(self) -> RedisTarget:
        return RedisTarget(self.redis_url, self.redis_sentinels, self.redis_sentinel_master)

    @property
    def durability(self) -> Durability:
        return Durability(self.redis_wait_replicas, self.redis_wait_timeout_ms)

    def __post_init__(self) -> None:
        problem = token_problem("ALERT_BRIDGE_TOKEN", self.token)
        if problem:
            raise ConfigError(problem)
        problem = token_problem("ACK_SIGNING_KEY", self.ack_signing_key, MIN_SIGNING_KEY_LENGTH)
        if problem:
            raise ConfigError(problem)
        _check_url("REDIS_URL", self.redis_url, ("redis", "rediss", "unix"))
        if self.slack_webhook_url is not None:
            _check_url("SLACK_WEBHOOK_URL", self.slack_webhook_url, ("http", "https"))
        for name, url in (
            ("PROMETHEUS_EXTERNAL_URL", self.prometheus_url),
            ("ALERTMANAGER_EXTERNAL_URL", self.alertmanager_url),
            *((("GRAFANA_URL", self.grafana_url),) if self.grafana_url is not None else ()),
            ("BRIDGE_EXTERNAL_URL", self.external_url),
            *(("ALERTMANAGER_URLS", url) for url in self.alertmanager_urls),
            *(("PROMETHEUS_URLS", url) for url in self.prometheus_query_urls),
        ):
            _check_url(name, url, ("http", "https"))
        if not self.alertmanager_urls:
            raise ConfigError("ALERTMANAGER_URLS must name at least one Alertmanager")
        if not self.prometheus_query_urls:
            raise ConfigError("PROMETHEUS_URLS must name at least one Prometheus")
        for name, value in (
            ("ALERT_COOLDOWN_SECONDS", self.cooldown_seconds),
            ("BRIDGE_MAX_BODY_BYTES", self.max_body_bytes),
            ("FLAP_WINDOW_SECONDS", self.flap_window_seconds),
            ("REDIS_WAIT_TIMEOUT_MS", self.redis_wait_timeout_ms),
        ):
            if value < 1:
                raise ConfigError(f"{name} must be at least 1")
        if self.redis_wait_replicas < 0:
            raise ConfigError("REDIS_WAIT_REPLICAS must be at least 0")
        for name, value in (
            ("SLACK_TIMEOUT_SECONDS", self.slack_timeout_seconds),
            ("DELIVERY_MAX_BACKOFF_SECONDS", self.delivery_max_backoff_seconds),
            ("DELIVERY_MAX_RETRY_AFTER_SECONDS", self.delivery_max_retry_after_seconds),
            ("RECONCILE_INTERVAL_SECONDS", self.reconcile_interval_seconds),
            ("ALERTMANAGER_WARMUP_SECONDS", self.alertmanager_warmup_seconds),
            ("ALERT_STARTS_AT_TOLERANCE_SECONDS", self.starts_at_tolerance_seconds),
            ("HEARTBEAT_TIMEOUT_SECONDS", self.heartbeat_timeout_seconds),
            ("PROMETHEUS_QUERY_BUDGET_SECONDS", self.prometheus_query_budget_seconds),
        ):
            if value <= 0:
                raise ConfigError(f"{name} must be positive")
        # The lease is renewed before each send; it must outlive the longest send, or a
        # second worker could take over and send the same message again.
        if not 0 < self.ack_link_ttl_seconds <= MAX_ACK_TTL_SECONDS:
            raise ConfigError(f"ACK_LINK_TTL_SECONDS must be between 1 and {MAX_ACK_TTL_SECONDS}")
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
        if not env.get("ALERT_BRIDGE_TOKEN", ""):
            raise ConfigError(
                "ALERT_BRIDGE_TOKEN is required (the bearer token Alertmanager sends)"
            )
        missing = [name for name, _, _ in _VARIABLES if not env.get(name, "").strip()]
        if missing:
            raise ConfigError(
                f"{', '.join(missing)} not set: the bridge's settings come from its env file "
                "(bridge.env or worker.env, rendered by `python -m stack.render`)"
            )
        values = {field: parse(name, env[name].strip()) for name, field, parse in _VARIABLES}
        try:
            target = RedisTarget.from_text(
                values["redis_url"],
                env.get("REDIS_SENTINELS", ""),
                env.get("REDIS_SENTINEL_MASTER", "").strip(),
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        return cls(
            redis_sentinels=target.sentinels,
            redis_sentinel_master=target.master,
            token=env["ALERT_BRIDGE_TOKEN"],
            slack_webhook_url=env.get("SLACK_WEBHOOK_URL", "").strip() or None,
            grafana_url=env.get("GRAFANA_URL", "").strip().rstrip("/") or None,
            multiproc_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
            **values,
        )


def _number(kind: type) -> Callable[[str, str], Any]:
    def parse(name: str, raw: str):
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            what = "a whole number" if kind is int else "a number"
            raise ConfigError(f"{name} must be {what}, got {raw!r}")
        return value

    return parse


def _flag(name: str, raw: str) -> bool:
    if raw.strip().lower() not in ("true", "false"):
        raise ConfigError(f"{name} must be true or false, got {raw!r}")
    return raw.strip().lower() == "true"


def _retention(name: str, raw: str) -> int:
    try:
        return trim.check_retention(raw)  # the store's rule, also `python -m alertstore.trim`'s
    except trim.RetentionError as exc:
        raise ConfigError(str(exc)) from None


def _text(name: str, raw: str) -> str:
    return raw


def _urls(name: str, raw: str) -> tuple[str, ...]:
    return tuple(url.strip().rstrip("/") for url in raw.split(",") if url.strip())


# (variable, field, parser) for every required value
_VARIABLES: tuple[tuple[str, str, Callable[[str, str], Any]], ...] = (
    ("REDIS_URL", "redis_url", _text),
    ("REDIS_WAIT_REPLICAS", "redis_wait_replicas", _number(int)),
    ("REDIS_WAIT_TIMEOUT_MS", "redis_wait_timeout_ms", _number(int)),
    ("ALERT_COOLDOWN_SECONDS", "cooldown_seconds", _number(int)),
    ("BRIDGE_MAX_BODY_BYTES", "max_body_bytes", _number(int)),
    ("SLACK_TIMEOUT_SECONDS", "slack_timeout_seconds", _number(float)),
    ("DELIVERY_MAX_BACKOFF_SECONDS", "delivery_max_backoff_seconds", _number(float)),
    ("DELIVERY_MAX_RETRY_AFTER_SECONDS", "delivery_max_retry_after_seconds", _number(float)),
    ("DELIVERY_LEASE_SECONDS", "delivery_lease_seconds", _number(float)),
    ("FLAP_WINDOW_SECONDS", "flap_window_seconds", _number(int)),
    ("RECONCILE_INTERVAL_SECONDS", "reconcile_interval_seconds", _number(float)),
    ("ALERTMANAGER_WARMUP_SECONDS", "alertmanager_warmup_seconds", _number(float)),
    ("ALERT_STARTS_AT_TOLERANCE_SECONDS", "starts_at_tolerance_seconds", _number(float)),
    ("HEARTBEAT_TIMEOUT_SECONDS", "heartbeat_timeout_seconds", _number(float)),
    ("ALERT_HISTORY_RETENTION_DAYS", "alert_history_retention_days", _retention),
    ("BRIDGE_HOST", "host", _text),
    ("BRIDGE_PORT", "port", _number(int)),
    ("OUTBOX_METRICS_PORT", "outbox_metrics_port", _number(int)),
    ("PROMETHEUS_EXTERNAL_URL", "prometheus_url", _text),
    ("PROMETHEUS_URLS", "prometheus_query_urls", _urls),
    ("PROMETHEUS_QUERY_BUDGET_SECONDS", "prometheus_query_budget_seconds", _number(float)),
    ("ALERTMANAGER_EXTERNAL_URL", "alertmanager_url", _text),
    ("ALERTMANAGER_URLS", "alertmanager_urls", _urls),
    ("BRIDGE_EXTERNAL_URL", "external_url", lambda name, raw: raw.rstrip("/")),
    ("ACK_SIGNING_KEY", "ack_signing_key", _text),
    ("ACK_LINK_TTL_SECONDS", "ack_link_ttl_seconds", _number(int)),
    ("ALERTMANAGER_UI", "alertmanager_ui", _flag),
)


def _check_url(name: str, url: str, schemes: tuple[str, ...]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in schemes or not (parts.netloc or parts.scheme == "unix"):
        raise ConfigError(f"{name} must be a {'/'.join(schemes)} URL, got {url!r}")
