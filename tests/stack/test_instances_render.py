"""Several instances of each part (docs/ha.md) render from settings alone: Prometheus scrapes
and alerts every one, every Alertmanager receiver notifies every bridge, promtool and amtool
accept the result, and one instance of each (the default) renders as it always has."""

import pytest
import yaml

from stack.render import check, render
from stack.settings import SettingsError

HA = {
    "API_TARGETS": "api-a:8000,api-b:8000",
    "BRIDGE_URLS": "http://bridge-a:8001,http://bridge-b:8001/",
    "OUTBOX_TARGETS": "worker-a:8002,worker-b:8002",
    "ALERTMANAGER_TARGETS": "am-a:9093,am-b:9093",
}
RECEIVERS = [
    "taskmgr-bridge",
    "taskmgr-bridge-critical",
    "taskmgr-bridge-error",
    "taskmgr-bridge-warning",
    "taskmgr-bridge-info",
]
HEARTBEAT = "taskmgr-heartbeat"
AUTH = {"authorization": {"type": "Bearer", "credentials_file": "bridge_token"}}


def rendered(make_settings, tmp_path, **env):
    out_dir = render(make_settings(**env), tmp_path / "config")
    prometheus = yaml.safe_load((out_dir / "prometheus.yml").read_text())
    alertmanager = yaml.safe_load((out_dir / "alertmanager.yml").read_text())
    return out_dir, prometheus, alertmanager


def targets(prometheus: dict) -> dict[str, list[str]]:
    """Scrape job (and "alerting") → its targets; each has exactly one static config."""
    configs = {job["job_name"]: job["static_configs"] for job in prometheus["scrape_configs"]}
    [alerting] = prometheus["alerting"]["alertmanagers"]
    configs["alerting"] = alerting["static_configs"]
    result = {}
    for name, static_configs in configs.items():
        [static] = static_configs
        result[name] = static["targets"]
    return result


def bridge_job(prometheus: dict) -> dict:
    return next(j for j in prometheus["scrape_configs"] if j["job_name"] == "taskmgr-bridge")


def webhooks(alertmanager: dict) -> dict[str, list[dict]]:
    """The incident receivers' webhooks (the heartbeat's receiver is checked apart)."""
    hooks = {r["name"]: r["webhook_configs"] for r in alertmanager["receivers"]}
    assert set(hooks) == {*RECEIVERS, HEARTBEAT}, hooks
    return {name: hooks[name] for name in RECEIVERS}


def heartbeat_urls(alertmanager: dict) -> list[str]:
    """Every bridge's /heartbeat, without resolved notices (one would look like a beat)."""
    (receiver,) = [r for r in alertmanager["receivers"] if r["name"] == HEARTBEAT]
    assert {hook["send_resolved"] for hook in receiver["webhook_configs"]} == {False}
    return [hook["url"] for hook in receiver["webhook_configs"]]


def test_two_of_each_pass_promtool_and_amtool(make_settings, tmp_path, capsys):
    out_dir, prometheus, alertmanager = rendered(make_settings, tmp_path, **HA)
    accepted = check(out_dir)
    assert accepted, capsys.readouterr().out

    assert targets(prometheus) == {
        "alerting": ["am-a:9093", "am-b:9093"],
        "taskmgr-api": ["api-a:8000", "api-b:8000"],
        "taskmgr-bridge": ["bridge-a:8001", "bridge-b:8001"],
        "taskmgr-bridge-worker": ["worker-a:8002", "worker-b:8002"],
        "alertmanager": ["am-a:9093", "am-b:9093"],
        "prometheus": ["127.0.0.1:9090"],
    }
    assert bridge_job(prometheus)["scheme"] == "http"
    both = [
        {"url": f"http://bridge-{x}:8001/webhook", "send_resolved": True, "http_config": AUTH}
        for x in "ab"
    ]
    assert webhooks(alertmanager) == dict.fromkeys(RECEIVERS, both)
    assert heartbeat_urls(alertmanager) == [f"http://bridge-{x}:8001/heartbeat" for x in "ab"]


def test_https_bridges_are_notified_and_scraped_over_https(make_settings, tmp_path, capsys):
    bridges = "https://bridge-a.example,https://bridge-b.example:8443"
    out_dir, prometheus, alertmanager = rendered(make_settings, tmp_path, BRIDGE_URLS=bridges)
    accepted = check(out_dir)
    assert accepted, capsys.readouterr().out

    assert bridge_job(prometheus)["scheme"] == "https"
    scraped = targets(prometheus)["taskmgr-bridge"]
    assert scraped == ["bridge-a.example:443", "bridge-b.example:8443"]
    urls = ["https://bridge-a.example/webhook", "https://bridge-b.example:8443/webhook"]
    for name, hooks in webhooks(alertmanager).items():
        assert [hook["url"] for hook in hooks] == urls, name
    assert heartbeat_urls(alertmanager) == [url.replace("webhook", "heartbeat") for url in urls]


def test_one_of_each_by_default(make_settings, tmp_path):
    _, prometheus, alertmanager = rendered(
        make_settings, tmp_path, API_HOST="api", BRIDGE_HOST="alert-bridge", BRIDGE_PORT="8101"
    )
    assert targets(prometheus) == {
        "alerting": ["127.0.0.1:9093"],
        "taskmgr-api": ["api:8000"],
        "taskmgr-bridge": ["alert-bridge:8101"],
        "taskmgr-bridge-worker": ["127.0.0.1:8002"],
        "alertmanager": ["127.0.0.1:9093"],
        "prometheus": ["127.0.0.1:9090"],
    }
    assert bridge_job(prometheus)["scheme"] == "http"
    one = [{"url": "http://alert-bridge:8101/webhook", "send_resolved": True, "http_config": AUTH}]
    assert webhooks(alertmanager) == dict.fromkeys(RECEIVERS, one)
    assert heartbeat_urls(alertmanager) == ["http://alert-bridge:8101/heartbeat"]


def test_a_prometheus_pair_renders_one_config_per_replica_whose_label_alertmanager_never_sees(
    make_settings, tmp_path
):
    out_dir, first, _ = rendered(make_settings, tmp_path, PROMETHEUS_REPLICAS="a,b")

    configs = {
        name: yaml.safe_load((out_dir / f"prometheus-{name}.yml").read_text()) for name in "ab"
    }
    assert first == configs["a"]  # what the Procfile line runs without PROMETHEUS_REPLICA
    for name, config in configs.items():
        assert config["global"]["external_labels"] == {"replica": name}
        assert config["alerting"]["alert_relabel_configs"] == [
            {"action": "labeldrop", "regex": "replica"}
        ]
        assert {k: v for k, v in config.items() if k not in ("global", "alerting")} == {
            k: v for k, v in configs["a"].items() if k not in ("global", "alerting")
        }
    assert check(out_dir)


def test_one_prometheus_and_one_alertmanager_render_no_pair_and_no_cluster(make_settings, tmp_path):
    out_dir, prometheus, _ = rendered(make_settings, tmp_path)

    assert "external_labels" not in prometheus["global"]
    assert "alert_relabel_configs" not in prometheus["alerting"]
    assert not list(out_dir.glob("prometheus-*.yml"))
    env = (out_dir / "alertmanager.env").read_text()
    assert "ALERTMANAGER_CLUSTER_LISTEN_ADDRESS=''" in env  # --cluster.listen-address= : off
    assert "ALERTMANAGER_CLUSTER_PEER_FLAGS=''" in env


def test_clustered_alertmanagers_listen_on_their_cluster_port_and_join_every_peer(
    make_settings, tmp_path
):
    out_dir, _, _ = rendered(
        make_settings,
        tmp_path,
        ALERTMANAGER_HOST="10.0.0.7",
        ALERTMANAGER_CLUSTER_PEERS="am-a:9094,am-b:9094",
    )

    env = (out_dir / "alertmanager.env").read_text()
    assert "ALERTMANAGER_CLUSTER_LISTEN_ADDRESS=10.0.0.7:9094" in env
    assert (
        "ALERTMANAGER_CLUSTER_PEER_FLAGS='--cluster.peer=am-a:9094 --cluster.peer=am-b:9094'" in env
    )


@pytest.mark.parametrize(("profile", "timeout"), [("production", "15s"), ("fast", "1s")])
def test_a_later_peer_waits_well_under_one_group_interval(
    make_settings, tmp_path, profile, timeout
):
    """Alertmanager's 15 s default, at most a fifth of the group interval (5 m; fast 5 s):
    a later peer's delayed notification must not follow the first's next one (docs/ha.md,
    "Resolves under the pair")."""
    out_dir, _, _ = rendered(make_settings, tmp_path, TIMING_PROFILE=profile)

    assert (
        f"ALERTMANAGER_CLUSTER_PEER_TIMEOUT={timeout}" in (out_dir / "alertmanager.env").read_text()
    )


def test_bad_replica_names_are_named(make_settings):
    with pytest.raises(SettingsError, match=r"PROMETHEUS_REPLICAS='a,B_1': bad names 'B_1'"):
        make_settings(PROMETHEUS_REPLICAS="a,B_1")
    with pytest.raises(SettingsError, match=r"PROMETHEUS_REPLICAS='a,a': listed more than once"):
        make_settings(PROMETHEUS_REPLICAS="a,a")
