"""bridge.config: environment → BridgeConfig, every mistake named, no defaults of its own."""

import pytest

from bridge.config import BridgeConfig, ConfigError
from tests.bridge.conftest import ACK_KEY, TOKEN, bridge_config, stack_bridge_env


def test_the_stacks_bridge_env_is_a_complete_config():
    config = BridgeConfig.from_env(stack_bridge_env())

    assert config == bridge_config()
    assert config.redis_url == "redis://127.0.0.1:6380/0"
    assert config.slack_webhook_url is None
    assert (config.cooldown_seconds, config.max_body_bytes) == (300, 1024 * 1024)
    assert (config.port, config.outbox_metrics_port) == (8001, 8002)
    assert config.alertmanager_urls == ("http://127.0.0.1:9093",)
    assert (config.delivery_max_retry_after_seconds, config.flap_window_seconds) == (60, 3600)
    # the production profile's reconcile_interval (1m) and heartbeat_timeout (5m)
    assert (config.reconcile_interval_seconds, config.heartbeat_timeout_seconds) == (60, 300)
    # two resend delays (1m) and an evaluation (15s)
    assert config.alertmanager_warmup_seconds == 135
    # twice a scrape (15s) and an evaluation (15s): a Prometheus pair's startsAt apart
    assert config.starts_at_tolerance_seconds == 60
    # Acknowledge links: the bridge's own address, valid an hour
    assert (config.external_url, config.ack_link_ttl_seconds) == ("http://127.0.0.1:8001", 3600)
    # make run: no Grafana link unless GRAFANA_URL is set, no Alertmanager web UI (Debian's)
    assert (config.grafana_url, config.alertmanager_ui) == (None, False)


def test_reads_every_variable():
    config = BridgeConfig.from_env(
        {
            "ALERT_BRIDGE_TOKEN": TOKEN,
            "REDIS_URL": "redis://redis:6379/1",
            "REDIS_SENTINELS": "sentinel-a:26379, sentinel-b:26379",
            "REDIS_SENTINEL_MASTER": "history",
            "REDIS_WAIT_REPLICAS": "2",
            "REDIS_WAIT_TIMEOUT_MS": "250",
            "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/X",
            "ALERT_COOLDOWN_SECONDS": "60",
            "BRIDGE_MAX_BODY_BYTES": "2048",
            "SLACK_TIMEOUT_SECONDS": "2.5",
            "DELIVERY_MAX_BACKOFF_SECONDS": "30",
            "DELIVERY_MAX_RETRY_AFTER_SECONDS": "20",
            "DELIVERY_LEASE_SECONDS": "10",
            "FLAP_WINDOW_SECONDS": "600",
            "RECONCILE_INTERVAL_SECONDS": "2",
            "ALERTMANAGER_WARMUP_SECONDS": "3",
            "ALERT_STARTS_AT_TOLERANCE_SECONDS": "4",
            "HEARTBEAT_TIMEOUT_SECONDS": "15",
            "ALERT_HISTORY_RETENTION_DAYS": "30",
            "BRIDGE_HOST": "10.0.0.5",
            "BRIDGE_PORT": "9001",
            "OUTBOX_METRICS_PORT": "9002",
            "PROMETHEUS_MULTIPROC_DIR": "/tmp/m",
            "PROMETHEUS_EXTERNAL_URL": "https://prom.example",
            "PROMETHEUS_URLS": "http://prom-a:9090, http://prom-b:9090/",
            "PROMETHEUS_QUERY_BUDGET_SECONDS": "0.5",
            "ALERTMANAGER_EXTERNAL_URL": "https://am.example",
            "GRAFANA_URL": "https://grafana.example",
            "ALERTMANAGER_URLS": "http://am-a:9093, http://am-b:9093/",
            "BRIDGE_EXTERNAL_URL": "https://bridge.example/alerts/",
            "ACK_SIGNING_KEY": ACK_KEY,
            "ACK_LINK_TTL_SECONDS": "600",
            "ALERTMANAGER_UI": "true",
        }
    )

    assert config == BridgeConfig(
        token=TOKEN,
        redis_url="redis://redis:6379/1",
        redis_sentinels=(("sentinel-a", 26379), ("sentinel-b", 26379)),
        redis_sentinel_master="history",
        redis_wait_replicas=2,
        redis_wait_timeout_ms=250,
        slack_webhook_url="https://hooks.slack.com/services/T/B/X",
        cooldown_seconds=60,
        max_body_bytes=2048,
        slack_timeout_seconds=2.5,
        delivery_max_backoff_seconds=30.0,
        delivery_max_retry_after_seconds=20.0,
        delivery_lease_seconds=10.0,
        flap_window_seconds=600,
        reconcile_interval_seconds=2.0,
        alertmanager_warmup_seconds=3.0,
        starts_at_tolerance_seconds=4.0,
        heartbeat_timeout_seconds=15.0,
        alert_history_retention_days=30,
        host="10.0.0.5",
        port=9001,
        outbox_metrics_port=9002,
        multiproc_dir="/tmp/m",
        prometheus_url="https://prom.example",
        prometheus_query_urls=("http://prom-a:9090", "http://prom-b:9090"),
        prometheus_query_budget_seconds=0.5,
        alertmanager_url="https://am.example",
        grafana_url="https://grafana.example",
        alertmanager_urls=("http://am-a:9093", "http://am-b:9093"),
        external_url="https://bridge.example/alerts",
        ack_signing_key=ACK_KEY,
        ack_link_ttl_seconds=600,
        alertmanager_ui=True,
    )


def test_a_missing_shared_value_is_named_never_defaulted():
    env = stack_bridge_env()
    for name in ("REDIS_URL", "FLAP_WINDOW_SECONDS", "ALERTMANAGER_URLS"):
        del env[name]

    with pytest.raises(ConfigError) as error:
        BridgeConfig.from_env(env)

    assert str(error.value).startswith(
        "REDIS_URL, FLAP_WINDOW_SECONDS, ALERTMANAGER_URLS not set: the bridge's settings "
        "come from its env file"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ALERT_BRIDGE_TOKEN": ""}, "ALERT_BRIDGE_TOKEN is required"),
        ({"ALERT_BRIDGE_TOKEN": "short"}, "at least 16 characters of visible ASCII"),
        ({"ALERT_BRIDGE_TOKEN": "with a space 0123456789"}, "no spaces"),
        (
            {"ALERT_COOLDOWN_SECONDS": "5m"},
            "ALERT_COOLDOWN_SECONDS must be a whole number, got '5m'",
        ),
        ({"ALERT_COOLDOWN_SECONDS": "0"}, "ALERT_COOLDOWN_SECONDS must be at least 1"),
        ({"BRIDGE_MAX_BODY_BYTES": "-1"}, "BRIDGE_MAX_BODY_BYTES must be at least 1"),
        ({"FLAP_WINDOW_SECONDS": "0"}, "FLAP_WINDOW_SECONDS must be at least 1"),
        ({"SLACK_TIMEOUT_SECONDS": "nan"}, "SLACK_TIMEOUT_SECONDS must be a number"),
        ({"DELIVERY_MAX_BACKOFF_SECONDS": "0"}, "DELIVERY_MAX_BACKOFF_SECONDS must be positive"),
        ({"DELIVERY_MAX_RETRY_AFTER_SECONDS": "-5"}, "RETRY_AFTER_SECONDS must be positive"),
        ({"RECONCILE_INTERVAL_SECONDS": "0"}, "RECONCILE_INTERVAL_SECONDS must be positive"),
        ({"HEARTBEAT_TIMEOUT_SECONDS": "soon"}, "HEARTBEAT_TIMEOUT_SECONDS must be a number"),
        ({"SLACK_TIMEOUT_SECONDS": "20"}, "DELIVERY_LEASE_SECONDS must be longer"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must be a redis/rediss/unix URL"),
        ({"SLACK_WEBHOOK_URL": "hooks.slack.com/x"}, "SLACK_WEBHOOK_URL must be a http/https URL"),
        ({"GRAFANA_URL": "ftp://g"}, "GRAFANA_URL must be"),
        ({"ALERTMANAGER_URLS": "am:9093"}, "ALERTMANAGER_URLS must be a http/https URL"),
        ({"ALERTMANAGER_UI": "yes"}, "ALERTMANAGER_UI must be true or false, got 'yes'"),
        ({"BRIDGE_PORT": "70000"}, "BRIDGE_PORT must be a port number"),
        ({"ACK_SIGNING_KEY": "sixteen-chars-ok"}, "ACK_SIGNING_KEY must be at least 32"),
        ({"BRIDGE_EXTERNAL_URL": "bridge:8001"}, "BRIDGE_EXTERNAL_URL must be a http/https URL"),
        ({"ACK_LINK_TTL_SECONDS": "0"}, "ACK_LINK_TTL_SECONDS must be between 1 and 604800"),
        ({"ACK_LINK_TTL_SECONDS": "1y"}, "ACK_LINK_TTL_SECONDS must be a whole number"),
        ({"REDIS_SENTINELS": "sentinel-a"}, "REDIS_SENTINELS: bad entry 'sentinel-a'"),
        (
            {"REDIS_SENTINELS": "s:26379", "REDIS_SENTINEL_MASTER": "my master"},
            "REDIS_SENTINEL_MASTER: 'my master' is not a Sentinel master name",
        ),
        ({"REDIS_WAIT_REPLICAS": "-1"}, "REDIS_WAIT_REPLICAS must be at least 0"),
        ({"REDIS_WAIT_TIMEOUT_MS": "0"}, "REDIS_WAIT_TIMEOUT_MS must be at least 1"),
    ],
)
def test_mistakes_are_named(env, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        BridgeConfig.from_env({**stack_bridge_env(), **env})


def test_a_blank_slack_url_means_none():
    config = BridgeConfig.from_env({**stack_bridge_env(), "SLACK_WEBHOOK_URL": " "})

    assert config.slack_webhook_url is None
