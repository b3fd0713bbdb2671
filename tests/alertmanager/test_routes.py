"""The rendered alertmanager.yml passes amtool, routes by severity as routes_test.yml says,
and sends every alert to the bridge with its bearer token and the cooldown as repeat."""

import stat
import subprocess

import pytest
import yaml

from stack import binaries
from stack.render import REPO, render
from tests.alertmanager.conftest import BRIDGE_TOKEN, stack_settings

CASES = yaml.safe_load((REPO / "alertmanager" / "routes_test.yml").read_text())


def amtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [binaries.require("amtool"), *args], capture_output=True, text=True, timeout=60
    )


def route_test(config, labels: dict, receivers: list[str]) -> subprocess.CompletedProcess:
    return amtool(
        "config", "routes", "test", f"--config.file={config}",
        f"--verify.receivers={','.join(receivers)}",
        *(f"{name}={value}" for name, value in labels.items()),
    )  # fmt: skip


def test_config_passes_amtool_check(rendered):
    result = amtool("check-config", str(rendered / "alertmanager.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_route(rendered, case):
    result = route_test(rendered / "alertmanager.yml", case["labels"], case["receivers"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_route_test_fails_on_the_wrong_receiver(rendered):
    labels = {"alertname": "ApiDown", "severity": "critical"}
    assert route_test(rendered / "alertmanager.yml", labels, ["taskmgr-bridge"]).returncode != 0


def test_every_receiver_is_the_bridge_webhook_with_bearer_auth(tmp_path):
    out_dir = render(
        stack_settings(tmp_path, BRIDGE_HOST="bridge", BRIDGE_PORT="18001"), tmp_path / "c"
    )
    config = yaml.safe_load((out_dir / "alertmanager.yml").read_text())
    auth = {"authorization": {"type": "Bearer", "credentials_file": "bridge_token"}}
    receivers = {receiver["name"]: receiver["webhook_configs"] for receiver in config["receivers"]}
    heartbeat = receivers.pop("taskmgr-heartbeat")
    assert heartbeat == [
        {"url": "http://bridge:18001/heartbeat", "send_resolved": False, "http_config": auth}
    ]
    assert len(receivers) == 5
    for name, webhooks in receivers.items():
        assert webhooks == [
            {"url": "http://bridge:18001/webhook", "send_resolved": True, "http_config": auth}
        ], name
    token_file = out_dir / "bridge_token"
    assert token_file.read_text() == BRIDGE_TOKEN
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert BRIDGE_TOKEN not in (out_dir / "alertmanager.yml").read_text()


def test_every_bridge_gets_the_heartbeat(tmp_path):
    out_dir = render(
        stack_settings(tmp_path, BRIDGE_URLS="http://b1:8001,http://b2:8001"), tmp_path / "c"
    )
    config = yaml.safe_load((out_dir / "alertmanager.yml").read_text())
    [heartbeat] = [r for r in config["receivers"] if r["name"] == "taskmgr-heartbeat"]
    assert [webhook["url"] for webhook in heartbeat["webhook_configs"]] == [
        "http://b1:8001/heartbeat",
        "http://b2:8001/heartbeat",
    ]


# repeat_interval is the cooldown rounded up to group_interval ticks, minus half a tick, so
# the reminder lands on the first tick at or after the cooldown instead of slipping to the
# next one (see alertmanager.yml).
@pytest.mark.parametrize(
    ("profile", "cooldown", "repeat"),
    [
        ("fast", "90", "87500ms"),
        ("fast", "7", "7500ms"),  # 2 ticks: the tick at 5 s would come before the cooldown
        ("production", "300", "150s"),
        ("production", "400", "450s"),
        ("production", "60", "150s"),
    ],
)
def test_timings_come_from_the_profile_and_the_cooldown(tmp_path, profile, cooldown, repeat):
    out_dir = render(
        stack_settings(tmp_path, TIMING_PROFILE=profile, ALERT_COOLDOWN_SECONDS=cooldown),
        tmp_path / "c",
    )
    route = yaml.safe_load((out_dir / "alertmanager.yml").read_text())["route"]
    expected = {"fast": ("1s", "5s"), "production": ("30s", "5m")}[profile]
    assert (route["group_wait"], route["group_interval"]) == expected
    assert route["repeat_interval"] == repeat
    assert route["group_by"] == ["alertname", "alert_type"]


@pytest.mark.parametrize(
    ("profile", "interval", "repeat"), [("fast", "2s", "1s"), ("production", "1m", "30s")]
)
def test_the_heartbeat_route_comes_first_and_repeats_every_heartbeat_interval(
    tmp_path, profile, interval, repeat
):
    out_dir = render(stack_settings(tmp_path, TIMING_PROFILE=profile), tmp_path / "c")
    first = yaml.safe_load((out_dir / "alertmanager.yml").read_text())["route"]["routes"][0]
    assert first == {
        "receiver": "taskmgr-heartbeat",
        "matchers": ['alertname="Heartbeat"'],
        "continue": False,
        "group_wait": "0s",
        "group_interval": interval,
        "repeat_interval": repeat,
    }


def test_only_the_whole_api_down_inhibits(rendered):
    [rule] = yaml.safe_load((rendered / "alertmanager.yml").read_text())["inhibit_rules"]
    assert rule["source_matchers"] == ['alertname="ApiDown"']
    assert rule["target_matchers"] == [
        'alertname=~"ApiInstanceDown|HighErrorRate|HighLatency'
        '|(Availability|Latency)Budget(Fast|Slow)Burn"'
    ]
