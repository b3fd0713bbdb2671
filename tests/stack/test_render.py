import stat

import pytest
import yaml

from stack import render as render_module
from stack.render import RenderError, render, render_text
from tests.stack.conftest import run_module

VALUES = {"WINDOW": "5m", "FOR": "2m"}


def test_render_text_fills_placeholders_and_leaves_go_templates_alone():
    text = render_text('expr: rate(x[@@WINDOW@@])\nvalue: "{{ $value }}"', VALUES, source="t.yml")
    assert text == 'expr: rate(x[5m])\nvalue: "{{ $value }}"'


def test_unknown_placeholder_is_an_error():
    with pytest.raises(RenderError, match=r"t.yml: unknown placeholder @@NOPE@@"):
        render_text("a: @@NOPE@@ @@FOR@@", VALUES, source="t.yml")


def test_malformed_placeholder_is_an_error():
    with pytest.raises(RenderError, match=r"t.yml:2: malformed placeholder"):
        render_text("a: 1\nb: @@WINDOW @@FOR@@", VALUES, source="t.yml")


def test_a_section_is_rendered_only_when_its_switch_is_true():
    template = "a: 1\n  # @@if ON@@\nb: @@FOR@@\n  # @@end ON@@\nc: 3\n"
    assert render_text(template, {**VALUES, "ON": "true"}, source="t.yml") == "a: 1\nb: 2m\nc: 3\n"
    assert render_text(template, {**VALUES, "ON": "false"}, source="t.yml") == "a: 1\nc: 3\n"
    with pytest.raises(RenderError, match=r"t.yml: unknown placeholder @@ON@@"):
        render_text(template, VALUES, source="t.yml")


def test_renders_every_file(make_settings, tmp_path):
    settings = make_settings(
        TIMING_PROFILE="fast", ERROR_RATE_THRESHOLD="12.5", API_HOST="api", API_PORT="8100"
    )
    out_dir = render(settings, tmp_path / "config")
    files = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file())
    assert files == [
        "alertmanager.env", "alertmanager.yml", "api.env", "bridge.env", "bridge_token",
        "grafana.env", "prometheus.env", "prometheus.yml", "redis.env", "rules/taskmgr.yml",
        "worker.env",
    ]  # fmt: skip
    for path in out_dir.rglob("*.yml"):
        assert "@@" not in path.read_text(), path
    prometheus = yaml.safe_load((out_dir / "prometheus.yml").read_text())
    assert prometheus["global"] == {"scrape_interval": "1s", "evaluation_interval": "1s"}
    api_job = next(job for job in prometheus["scrape_configs"] if job["job_name"] == "taskmgr-api")
    assert api_job["static_configs"] == [{"targets": ["api:8100"]}]
    rules = (out_dir / "rules" / "taskmgr.yml").read_text()
    assert "taskmgr:http_errors_per_requests:ratio * 100 > 12.5" in rules
    assert "over the last 15 seconds" in rules
    assert "[15s]" in rules
    for secret in ["bridge_token", "api.env", "bridge.env", "worker.env"]:
        assert stat.S_IMODE((out_dir / secret).stat().st_mode) == 0o600, secret


def test_rerender_replaces_the_previous_one(make_settings, tmp_path):
    out_dir = render(make_settings(), tmp_path / "config")
    (out_dir / "stale.yml").write_text("old")
    render(make_settings(TIMING_PROFILE="fast"), out_dir)
    assert not (out_dir / "stale.yml").exists()
    assert "[15s]" in (out_dir / "rules" / "taskmgr.yml").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config"]  # no staging dirs left


def test_a_failed_render_changes_nothing(make_settings, tmp_path, monkeypatch):
    out_dir = render(make_settings(), tmp_path / "config")
    before = {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
    broken = tmp_path / "broken.yml"
    broken.write_text("groups: @@NOT_A_SETTING@@\n")
    monkeypatch.setitem(render_module.TEMPLATES, "rules/taskmgr.yml", broken)
    with pytest.raises(RenderError, match="NOT_A_SETTING"):
        render(make_settings(TIMING_PROFILE="fast"), out_dir)
    assert {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.yml", "config"]


def test_refuses_to_replace_a_directory_it_did_not_render(make_settings, tmp_path):
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "data").write_text("keep me")
    with pytest.raises(RenderError, match="refusing to replace"):
        render(make_settings(), tmp_path / "precious")
    assert (tmp_path / "precious" / "data").read_text() == "keep me"


def test_cli_profile_flag_overrides_the_environment(tmp_path):
    env = {
        "ALERT_BRIDGE_TOKEN": "cli-token-0123456789",
        "ACK_SIGNING_KEY": "cli-ack-signing-key-0123456789abcdef",
        "STATE_DIR": str(tmp_path),
        "TIMING_PROFILE": "production",
    }
    result = run_module(
        "stack.render", "--out", str(tmp_path / "out"), "--profile", "fast", env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "[15s]" in (tmp_path / "out" / "rules" / "taskmgr.yml").read_text()


def test_cli_defaults_to_the_state_dir_and_can_check(tmp_path):
    env = {
        "ALERT_BRIDGE_TOKEN": "cli-token-0123456789",
        "ACK_SIGNING_KEY": "cli-ack-signing-key-0123456789abcdef",
        "STATE_DIR": str(tmp_path),
    }
    result = run_module("stack.render", "--check", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "config" / "prometheus.yml").is_file()
    assert "is valid prometheus config file syntax" in result.stdout


def test_cli_bad_settings_exit_2_and_render_nothing(tmp_path):
    env = {
        "ALERT_BRIDGE_TOKEN": "cli-token-0123456789",
        "ACK_SIGNING_KEY": "cli-ack-signing-key-0123456789abcdef",
        "STATE_DIR": str(tmp_path),
        "API_PORT": "x",
        "ALERT_FOR": "soon",
    }
    result = run_module("stack.render", "--out", str(tmp_path / "out"), env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "API_PORT='x'" in result.stderr and "ALERT_FOR='soon'" in result.stderr
    assert not (tmp_path / "out").exists()
