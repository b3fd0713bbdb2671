"""One environment file per process, rendered from the one settings table: every process
gets the same value of every setting it shares with another, in `make run` and compose."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from bridge.config import BridgeConfig, ConfigError
from stack import durations
from stack.envfiles import env_file, read_env
from stack.render import render
from stack.settings import PROCESSES, REPO, VARIABLES, SettingsError, load
from tests.stack.conftest import compose_render_env

TOKEN = "bridge-token-0123456789"
METRICS_TOKEN = "metrics-token-0123456789"
ACK_KEY = "ack-signing-key-0123456789abcdefghij"
FAST_DOTENV = (
    f"DJANGO_SECRET_KEY={'k' * 50}\nALERT_BRIDGE_TOKEN={TOKEN}\n"
    f"ACK_SIGNING_KEY={ACK_KEY}\nTIMING_PROFILE=fast\n"
)


def rendered(env: dict[str, str], out_dir):
    settings = load(env, dotenv=None)
    out_dir = render(settings, out_dir)
    files = {process: read_env(out_dir / env_file(process)) for process in PROCESSES}
    return settings, out_dir, files


@pytest.fixture(params=["make run, fast profile", "compose, fast profile"])
def stack_render(request, tmp_path):
    if request.param.startswith("compose"):
        env = compose_render_env(tmp_path / "compose", FAST_DOTENV)
    else:
        env = {
            "ALERT_BRIDGE_TOKEN": TOKEN,
            "ACK_SIGNING_KEY": ACK_KEY,
            "STATE_DIR": str(tmp_path / "state"),
        }
        env |= {"TIMING_PROFILE": "fast", "DJANGO_SECRET_KEY": "k" * 50}
    env["METRICS_AUTH_TOKEN"] = METRICS_TOKEN
    return rendered(env, tmp_path / "config")


def test_every_shared_setting_has_one_value_in_every_process(stack_render):
    settings, _, files = stack_render
    for variable in VARIABLES:
        if variable.owned:
            continue
        for process in variable.to:
            assert files[process][variable.name] == settings.text[variable.name], (
                f"{variable.name} in {process}.env"
            )
        for process in set(PROCESSES) - set(variable.to):
            assert variable.name not in files[process] or variable.name in ("PYTHONPATH",), (
                f"{variable.name} leaked into {process}.env"
            )


def test_the_processes_agree_with_the_rendered_rules_and_routes(stack_render):
    settings, out_dir, files = stack_render
    api, bridge, worker = files["api"], files["bridge"], files["worker"]
    rules = (out_dir / "rules" / "taskmgr.yml").read_text()
    assert api["SUMMARY_WINDOW_LABEL"] == "15 seconds"
    assert f"over the last {api['SUMMARY_WINDOW_LABEL']}" in rules
    assert api["REDIS_URL"] == bridge["REDIS_URL"] == worker["REDIS_URL"]
    token = (out_dir / "bridge_token").read_text()  # what Alertmanager sends
    assert bridge["ALERT_BRIDGE_TOKEN"] == worker["ALERT_BRIDGE_TOKEN"] == token
    assert api["METRICS_AUTH_TOKEN"] == (out_dir / "metrics_token").read_text()
    route = yaml.safe_load((out_dir / "alertmanager.yml").read_text())["route"]
    # the cooldown's reminder lands on a group tick: repeat_interval is just under it, by
    # less than one group interval (stack/render.py `_repeat_interval` says why)
    cooldown = int(bridge["ALERT_COOLDOWN_SECONDS"])
    repeat, tick = (durations.seconds(route[k]) for k in ("repeat_interval", "group_interval"))
    assert cooldown - tick < repeat < cooldown, route
    assert (
        api["HEARTBEAT_TIMEOUT_SECONDS"]
        == bridge["HEARTBEAT_TIMEOUT_SECONDS"]
        == worker["HEARTBEAT_TIMEOUT_SECONDS"]
        == "15"
    )
    assert files["prometheus"]["ALERT_RESEND_DELAY"] == settings.timing.alert_resend_delay
    prometheus = yaml.safe_load((out_dir / "prometheus.yml").read_text())
    [alerting] = prometheus["alerting"]["alertmanagers"]
    targets = alerting["static_configs"][0]["targets"]
    assert worker["ALERTMANAGER_URLS"].split(",") == [f"http://{t}" for t in targets]


def test_the_bridge_and_the_worker_start_from_their_files(stack_render):
    _, _, files = stack_render
    bridge = BridgeConfig.from_env(files["bridge"])
    worker = BridgeConfig.from_env(files["worker"])
    # only the gunicorn line sets it, from METRICS_DIR: the worker refuses one
    assert bridge.multiproc_dir is None and worker.multiproc_dir is None
    assert files["bridge"]["METRICS_DIR"] == files["api"]["METRICS_DIR"]
    assert bridge.flap_window_seconds == 3600
    assert bridge.delivery_max_retry_after_seconds == 60
    assert bridge.reconcile_interval_seconds == 2


def test_the_api_reads_its_file_as_its_settings(stack_render):
    _, out_dir, files = stack_render
    code = (
        "from django.conf import settings as s; "
        "print(s.SUMMARY_WINDOW_LABEL, s.REDIS_URL, s.HEARTBEAT_TIMEOUT_SECONDS, sep='|')"
    )
    env = {"PATH": os.environ["PATH"], **files["api"], "DATABASE_URL": ""}
    env["SQLITE_PATH"] = str(out_dir.parent / "db.sqlite3")
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=REPO / "api",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    api = files["api"]
    last = result.stdout.strip().splitlines()[-1]
    assert last.split("|") == ["15 seconds", api["REDIS_URL"], "15.0"]


def test_the_api_no_longer_receives_the_cooldown(make_settings, tmp_path):
    _, _, files = rendered(
        {"ALERT_BRIDGE_TOKEN": TOKEN, "ACK_SIGNING_KEY": ACK_KEY, "STATE_DIR": str(tmp_path)},
        tmp_path / "c",
    )
    assert "ALERT_COOLDOWN_SECONDS" not in files["api"]
    assert files["bridge"]["ALERT_COOLDOWN_SECONDS"] == "300"


@pytest.mark.parametrize(
    "token",
    ["short", "fifteen-chars-x", "sixteen-chars-ok", "with a space 0123456789", "é" * 20],
)
def test_a_token_the_renderer_accepts_is_one_the_bridge_accepts(tmp_path, token):
    env = {"ALERT_BRIDGE_TOKEN": token, "ACK_SIGNING_KEY": ACK_KEY, "STATE_DIR": str(tmp_path)}
    try:
        _, _, files = rendered(env, tmp_path / "config")
    except SettingsError as refused:
        assert token not in str(refused)  # a secret: never echoed
        renderer_accepts = False
    else:
        renderer_accepts = True
        BridgeConfig.from_env(files["bridge"])  # raises if the bridge refuses it
    if not renderer_accepts:
        with pytest.raises(ConfigError):
            BridgeConfig.from_env({**_bridge_defaults(tmp_path), "ALERT_BRIDGE_TOKEN": token})
    assert renderer_accepts == (token == "sixteen-chars-ok")


def _bridge_defaults(tmp_path):
    env = {"ALERT_BRIDGE_TOKEN": TOKEN, "ACK_SIGNING_KEY": ACK_KEY, "STATE_DIR": str(tmp_path)}
    return rendered(env, tmp_path / "defaults")[2]["bridge"]


def test_a_derived_setting_cannot_be_set_apart_from_the_rules(make_settings):
    with pytest.raises(SettingsError, match="SUMMARY_WINDOW_LABEL: derived"):
        make_settings(SUMMARY_WINDOW_LABEL="5 minutes", TIMING_PROFILE="fast")


def test_no_service_writes_a_default_of_its_own_for_a_shared_setting():
    """The Redis URL, the cooldown and the window label have their default in the table only."""
    sources = [
        REPO / "api" / "taskmgr" / "settings.py",
        REPO / "alert-bridge" / "bridge" / "config.py",
        REPO / "alert-bridge" / "gunicorn.conf.py",
        REPO / "alertstore" / "migrate.py",
        REPO / "docker-compose.yml",
    ]
    for path in sources:
        text = path.read_text()
        for default in ["6380", "5 minutes", "COOLDOWN_SECONDS:-", "= 300", ", 300)"]:
            assert default not in text, f"{path.relative_to(REPO)} writes {default!r}"


def test_the_bridge_gunicorn_config_reads_no_environment_itself():
    text = (REPO / "alert-bridge" / "gunicorn.conf.py").read_text()
    assert "os.environ" not in text and "getenv" not in text


def test_env_example_and_the_readme_list_every_variable():
    example = (REPO / ".env.example").read_text()
    readme = (REPO / "README.md").read_text()
    for variable in VARIABLES:
        assert variable.name in example, variable.name
        short = variable.name.removeprefix("DJANGO_SUPERUSER")  # `_PASSWORD` in one row
        assert variable.name in readme or f"`{short}`" in readme, variable.name
