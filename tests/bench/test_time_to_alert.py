"""The time-to-page reference is ours without taskmgr's alerting: its config, derived from what
stack.prepare renders, keeps our intervals, our alert (one expression, records inlined) and our
Alertmanager timers, and the real promtool and amtool accept it."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from bench.time_to_alert import API_JOB, _records, _reference_config
from stack import binaries
from stack.prepare import prepare
from testkit.slack import FakeSlack
from testkit.stack import Stack

WEBHOOK = "http://127.0.0.1:9/"


@pytest.fixture
def rendered(tmp_path):
    with FakeSlack() as slack:
        return prepare(Stack(tmp_path, slack).environ, dotenv=None)


@pytest.fixture
def written(rendered, tmp_path):
    folder = tmp_path / "reference"
    (folder / "rules").mkdir(parents=True)
    for name, content in _reference_config(rendered, WEBHOOK).items():
        (folder / name).write_text(yaml.safe_dump(content, sort_keys=False))
    return folder


def _load(path):
    return yaml.safe_load(path.read_text())


def test_the_alert_is_ours_in_one_expression_and_promtool_accepts_it(rendered, written):
    records, ours = _records(rendered)
    [rule] = _load(written / "rules" / "reference.yml")["groups"][0]["rules"]

    assert {k: v for k, v in rule.items() if k != "expr"} == {
        k: v for k, v in ours.items() if k != "expr"
    }
    assert not [name for name in records if name in rule["expr"]]
    assert "taskmgr_http_responses_total" in rule["expr"]
    check = [binaries.require("promtool"), "check", "config", str(written / "prometheus.yml")]
    done = subprocess.run(check, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_scrapes_and_timers_are_ours_and_amtool_accepts_them(rendered, written):
    prometheus, ours = _load(written / "prometheus.yml"), _load(rendered / "prometheus.yml")
    route = _load(written / "alertmanager.yml")["route"]
    our_route = _load(rendered / "alertmanager.yml")["route"]

    assert prometheus["global"] == ours["global"]
    assert prometheus["alerting"] == ours["alerting"]
    assert [job["job_name"] for job in prometheus["scrape_configs"]] == [API_JOB]
    for timer in ("group_by", "group_wait", "group_interval", "repeat_interval"):
        assert route[timer] == our_route[timer], timer
    check = [binaries.require("amtool"), "check-config", str(written / "alertmanager.yml")]
    done = subprocess.run(check, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
