"""bridge.config: environment → BridgeConfig, every mistake named."""

import pytest

from bridge.config import BridgeConfig, ConfigError
from tests.bridge.conftest import TOKEN


def test_defaults():
    config = BridgeConfig.from_env({"ALERT_BRIDGE_TOKEN": TOKEN})

    assert config == BridgeConfig(token=TOKEN)
    assert config.redis_url == "redis://127.0.0.1:6380/0"
    assert config.slack_webhook_url is None
    assert (config.cooldown_seconds, config.max_body_bytes) == (300, 1024 * 1024)
    assert (config.port, config.outbox_metrics_port) == (8001, 8002)
    assert config.alertmanager_url == "http://127.0.0.1:9093"


def test_reads_every_variable():
    config = BridgeConfig.from_env(
        {
            "ALERT_BRIDGE_TOKEN": TOKEN,
            "REDIS_URL": "redis://redis:6379/1",
            "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/X",
            "ALERT_COOLDOWN_SECONDS": "60",
            "BRIDGE_MAX_BODY_BYTES": "2048",
            "SLACK_TIMEOUT_SECONDS": "2.5",
            "DELIVERY_MAX_BACKOFF_SECONDS": "30",
            "DELIVERY_LEASE_SECONDS": "10",
            "BRIDGE_HOST": "10.0.0.5",
            "BRIDGE_PORT": "9001",
            "OUTBOX_METRICS_PORT": "9002",
            "PROMETHEUS_MULTIPROC_DIR": "/tmp/m",
            "PROMETHEUS_EXTERNAL_URL": "https://prom.example",
            "ALERTMANAGER_EXTERNAL_URL": "https://am.example",
            "GRAFANA_URL": "https://grafana.example",
        }
    )

    assert config == BridgeConfig(
        token=TOKEN,
        redis_url="redis://redis:6379/1",
        slack_webhook_url="https://hooks.slack.com/services/T/B/X",
        cooldown_seconds=60,
        max_body_bytes=2048,
        slack_timeout_seconds=2.5,
        delivery_max_backoff_seconds=30.0,
        delivery_lease_seconds=10.0,
        host="10.0.0.5",
        port=9001,
        outbox_metrics_port=9002,
        multiproc_dir="/tmp/m",
        prometheus_url="https://prom.example",
        alertmanager_url="https://am.example",
        grafana_url="https://grafana.example",
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ALERT_BRIDGE_TOKEN": ""}, "ALERT_BRIDGE_TOKEN is required"),
        ({"ALERT_BRIDGE_TOKEN": "short"}, "at least 16 characters"),
        (
            {"ALERT_COOLDOWN_SECONDS": "5m"},
            "ALERT_COOLDOWN_SECONDS must be a whole number, got '5m'",
        ),
        ({"ALERT_COOLDOWN_SECONDS": "0"}, "ALERT_COOLDOWN_SECONDS must be at least 1"),
        ({"BRIDGE_MAX_BODY_BYTES": "-1"}, "BRIDGE_MAX_BODY_BYTES must be at least 1"),
        ({"SLACK_TIMEOUT_SECONDS": "nan"}, "SLACK_TIMEOUT_SECONDS must be a number"),
        ({"DELIVERY_MAX_BACKOFF_SECONDS": "0"}, "must be positive"),
        ({"SLACK_TIMEOUT_SECONDS": "20"}, "DELIVERY_LEASE_SECONDS must be longer"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must be a redis/rediss/unix URL"),
        ({"SLACK_WEBHOOK_URL": "hooks.slack.com/x"}, "SLACK_WEBHOOK_URL must be a http/https URL"),
        ({"GRAFANA_URL": "ftp://g"}, "GRAFANA_URL must be"),
        ({"BRIDGE_PORT": "70000"}, "BRIDGE_PORT must be a port number"),
    ],
)
def test_mistakes_are_named(env, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        BridgeConfig.from_env({"ALERT_BRIDGE_TOKEN": TOKEN, **env})


def test_blank_values_mean_default():
    config = BridgeConfig.from_env(
        {"ALERT_BRIDGE_TOKEN": TOKEN, "SLACK_WEBHOOK_URL": " ", "REDIS_URL": ""}
    )

    assert config.slack_webhook_url is None
    assert config.redis_url == BridgeConfig.redis_url
