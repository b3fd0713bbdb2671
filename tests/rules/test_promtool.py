"""The rendered Prometheus config and rules pass promtool's checks and their unit tests,
in every timing profile, and define every name docs/contracts.md promises."""

import re
import subprocess

import yaml

from stack import binaries
from stack.render import REPO, render
from tests.rules.conftest import render_rule_tests, stack_settings

CONTRACTS = REPO / "docs" / "contracts.md"
RULES = "taskmgr.yml"  # the one rule file: one group, records then the alerts reading them


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [binaries.require("promtool"), *args], capture_output=True, text=True, timeout=120
    )


def assert_ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"


def contract_table(heading: str) -> list[list[str]]:
    """Rows (cells) of the first table under `## <heading>` in docs/contracts.md."""
    section = CONTRACTS.read_text().split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def contract_records() -> set[str]:
    """Record names in the contract table; `:p95` after a full name replaces its last part."""
    names: set[str] = set()
    for cells in contract_table("Recording rules"):
        previous = ""
        for name in re.findall(r"`([^`]+)`", cells[0]):
            previous = previous.rsplit(":", 1)[0] + name if name.startswith(":") else name
            names.add(previous)
    return names


def groups_in(path) -> list[dict]:
    return yaml.safe_load(path.read_text())["groups"]


def rules_in(path) -> list[dict]:
    return [rule for group in groups_in(path) for rule in group["rules"]]


def test_config_and_rules_pass_promtool_check(rendered):
    assert_ok(promtool("check", "config", str(rendered / "prometheus.yml")))
    assert_ok(promtool("check", "rules", *map(str, sorted((rendered / "rules").glob("*.yml")))))


def test_rule_unit_tests_pass(rendered):  # the SLO tests: production timings, below
    assert_ok(promtool("test", "rules", str(rendered / "rules" / "tests" / "taskmgr_test.yml")))


def test_every_rule_file_has_its_unit_tests(rendered):
    rule_files = sorted(p.stem for p in (rendered / "rules").glob("*.yml"))
    tested = sorted(p.stem for p in (rendered / "rules/tests").glob("*.yml"))
    assert rule_files == ["taskmgr"]
    assert tested == ["taskmgr_slo_test", "taskmgr_test"]


def test_alerts_evaluate_right_after_the_records_they_read(rendered):
    # One group runs its rules in order at one timestamp; across groups an alert could read
    # a record one evaluation late.
    (group,) = groups_in(rendered / "rules" / RULES)
    records = [rule["record"] for rule in group["rules"] if "record" in rule]
    kinds = ["record" if "record" in rule else "alert" for rule in group["rules"]]
    assert kinds == sorted(kinds, reverse=True), "every record must come before every alert"
    read = {
        name
        for rule in group["rules"]
        if "alert" in rule
        for name in re.findall(r"[a-z_]*:[a-z_0-9:]+", rule["expr"])
    }
    assert {"taskmgr:http_errors_per_requests:ratio", "taskmgr:http_requests:rate"} <= read
    assert read <= set(records), f"alerts read records this group lacks: {read - set(records)}"


def test_unit_tests_fail_when_the_rules_disagree(tmp_path):
    # rules rendered with a 20 % threshold, tests expecting 5 %: the 10 % incident must not pass
    expected = stack_settings(tmp_path, TIMING_PROFILE="fast")
    out_dir = render(
        stack_settings(tmp_path, TIMING_PROFILE="fast", ERROR_RATE_THRESHOLD="20"), tmp_path / "c"
    )
    tests = render_rule_tests(expected, out_dir / "rules")
    result = promtool("test", "rules", str(tests["taskmgr_test"]))
    assert result.returncode != 0
    assert "alertname: HighErrorRate" in result.stderr


def test_every_contract_record_is_defined(rendered):
    defined = {rule["record"] for rule in rules_in(rendered / "rules" / RULES) if "record" in rule}
    promised = contract_records()
    assert "taskmgr:http_request_duration_seconds:p99" in promised  # the shorthand was expanded
    assert promised <= defined, f"missing records: {sorted(promised - defined)}"


def test_every_contract_alert_is_defined_with_its_labels(rendered):
    defined = {
        rule["alert"]: rule["labels"]
        for rule in rules_in(rendered / "rules" / RULES)
        if "alert" in rule
    }
    promised = {
        re.search(r"`(\w+)`", cells[0])[1]: dict(re.findall(r'`(\w+)="([^"]*)"`', cells[1]))
        for cells in contract_table("Alerts")
    }
    assert set(promised) == {
        "HighErrorRate",
        "HighLatency",
        "ApiDown",
        "ApiInstanceDown",
        "Heartbeat",
        "BridgeDown",
        "DeliveryWorkerDown",
        "OutboxNotDraining",
        "AlertmanagerNotificationsFailing",
        "AvailabilityBudgetFastBurn",
        "AvailabilityBudgetSlowBurn",
        "LatencyBudgetFastBurn",
        "LatencyBudgetSlowBurn",
    }
    for alert, labels in promised.items():
        assert defined.get(alert) == labels, alert


def test_every_alert_links_its_runbook_section(rendered):
    runbook = (REPO / "docs" / "runbook.md").read_text()
    anchors = {heading.strip().lower() for heading in re.findall(r"^## (\w+)$", runbook, re.M)}
    for rule in rules_in(rendered / "rules" / RULES):
        if "alert" in rule:
            url = rule["annotations"]["runbook_url"]
            assert url.endswith(f"#{rule['alert'].lower()}"), rule["alert"]
            assert rule["alert"].lower() in anchors, f"docs/runbook.md lacks ## {rule['alert']}"


def _alert_links(settings, out_dir) -> dict[str, dict]:
    rules = rules_in(render(settings, out_dir) / "rules" / RULES)
    return {rule["alert"]: rule["annotations"] for rule in rules if "alert" in rule}


def test_by_default_the_alerts_link_the_bridges_runbook_page_and_no_grafana(tmp_path):
    """`make run`: the runbook is the bridge's own /runbook page; no Grafana is configured,
    so no alert carries a dashboard link that would not open."""
    settings = stack_settings(tmp_path, BRIDGE_PORT="8111")
    for alert, annotations in _alert_links(settings, tmp_path / "config").items():
        runbook = f"http://127.0.0.1:8111/runbook#{alert.lower()}"
        assert annotations["runbook_url"] == runbook
        assert not annotations.get("dashboard_url"), alert


def test_an_explicit_grafana_url_and_runbook_base_url_are_what_the_alerts_link(tmp_path):
    settings = stack_settings(
        tmp_path, GRAFANA_URL="https://grafana.example/", RUNBOOK_BASE_URL="https://docs.example/rb"
    )
    links = _alert_links(settings, tmp_path / "config")
    assert links["HighErrorRate"]["dashboard_url"] == "https://grafana.example/d/taskmgr/taskmgr"
    assert links["HighLatency"]["dashboard_url"] == "https://grafana.example/d/taskmgr/taskmgr"
    assert links["ApiDown"]["runbook_url"] == "https://docs.example/rb#apidown"


def test_only_the_api_alerts_damp_flapping(rendered):
    keep = {
        rule["alert"]: rule.get("keep_firing_for")
        for rule in rules_in(rendered / "rules" / RULES)
        if "alert" in rule
    }
    damped = {"HighErrorRate", "HighLatency", "ApiDown", "ApiInstanceDown"}
    assert {name for name, value in keep.items() if value} == damped
    assert keep["Heartbeat"] is None


def test_prometheus_scrapes_every_contract_job(rendered):
    config = yaml.safe_load((rendered / "prometheus.yml").read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert jobs == {
        "taskmgr-api",
        "taskmgr-bridge",
        "taskmgr-bridge-worker",
        "alertmanager",
        "prometheus",
    }
    assert config["rule_files"] == [f"rules/{RULES}"]


SLO_ALERTS = {
    "AvailabilityBudgetFastBurn",
    "AvailabilityBudgetSlowBurn",
    "LatencyBudgetFastBurn",
    "LatencyBudgetSlowBurn",
}


def test_slo_alerts_enabled_false_renders_no_burn_rate_alert_but_keeps_the_records(tmp_path):
    def names(**env):
        rules = rules_in(render(stack_settings(tmp_path, **env), tmp_path / "c") / "rules" / RULES)
        return {r.get("alert") for r in rules}, {r.get("record") for r in rules}

    (alerts_on, records_on), (alerts_off, records_off) = names(), names(SLO_ALERTS_ENABLED="false")
    assert alerts_on >= SLO_ALERTS
    assert alerts_off == alerts_on - SLO_ALERTS
    assert records_off == records_on
    assert "taskmgr:slo_availability:error_budget_remaining" in records_off


def test_the_latency_slo_reads_the_histogram_bucket_at_the_threshold(tmp_path):
    settings = stack_settings(tmp_path, LATENCY_P95_THRESHOLD="1000")
    text = (render(settings, tmp_path / "c") / "rules" / RULES).read_text()
    assert 'taskmgr_http_request_duration_seconds_bucket{le="1.0"}' in text
    assert 'le="0.5"' not in text


def test_slo_unit_tests_pass_in_production_timings(tmp_path):
    settings = stack_settings(tmp_path)
    out_dir = render(settings, tmp_path / "config")
    tests = render_rule_tests(settings, out_dir / "rules")
    assert_ok(promtool("test", "rules", str(tests["taskmgr_slo_test"])))
