"""The provisioned dashboard is well-formed and only asks Prometheus for series that exist."""

import ast
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from tests.grafana.dashboard import (
    GRAFANA,
    annotation_exprs,
    load,
    metric_names,
    queries,
    with_grafana_variables,
)

# Series produced by Prometheus and Alertmanager themselves, not by our code or rules.
EXTERNAL_NAMES = {
    "ALERTS",  # Prometheus, one series per pending/firing alert
    "up",  # Prometheus, one per scrape target
    "alertmanager_notifications_total",
    "alertmanager_notifications_failed_total",
}

_METRIC_LITERAL = re.compile(r"taskmgr_[a-z0-9_]+")

# prometheus_client metric type → the suffixes of the series it exposes
_SAMPLE_SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("_sum", "_count"),
    "info": ("_info",),
    "stateset": ("",),
    "enum": ("",),
}


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return load()


@pytest.fixture(scope="module")
def datasource() -> dict:
    provisioning = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    (source,) = provisioning["datasources"]
    return source


def exported_names() -> set[str]:
    """Every series name the API and the bridge expose, read from their instrument modules:
    the metric objects (with their type's suffixes) and the names custom collectors yield."""
    import bridge.metrics
    import metrics.instruments

    names = set()
    for module in (metrics.instruments, bridge.metrics):
        for value in vars(module).values():
            if isinstance(value, MetricWrapperBase):
                for family in value.describe():
                    names.update(family.name + s for s in _SAMPLE_SUFFIXES[family.type])
        tree = ast.parse(Path(module.__file__).read_text())
        names.update(
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and _METRIC_LITERAL.fullmatch(str(node.value))
        )
    return names


def panels_reading(dashboard: dict, record: str) -> list[dict]:
    return [p for p in dashboard["panels"] if any(record in t["expr"] for t in p["targets"])]


def threshold_lines(panel: dict) -> list[float]:
    defaults = panel["fieldConfig"]["defaults"]
    assert defaults["custom"]["thresholdsStyle"]["mode"] != "off", panel["title"]
    return [s["value"] for s in defaults["thresholds"]["steps"] if s["value"] is not None]


def rule_threshold(rules: list[dict], alert: str) -> float:
    (rule,) = [r for r in rules if r.get("alert") == alert]
    return float(rule["annotations"]["threshold"])


def test_dashboard_identity_matches_the_links_alerts_carry(dashboard, rendered_rules):
    assert (dashboard["uid"], dashboard["title"]) == ("taskmgr", "taskmgr")
    assert dashboard["refresh"] == "10s"
    assert dashboard["schemaVersion"] >= 36
    links = {
        r["annotations"]["dashboard_url"]
        for r in rendered_rules
        if "dashboard_url" in r.get("annotations", {})
    }
    assert links and all("/d/taskmgr/" in link for link in links)


def test_panel_ids_and_titles_are_unique(dashboard):
    ids = [p["id"] for p in dashboard["panels"]]
    titles = [p["title"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert len(titles) == len(set(titles))


def test_panels_do_not_overlap(dashboard):
    cells: dict[tuple[int, int], str] = {}
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_every_panel_queries_the_provisioned_prometheus(dashboard, datasource):
    assert datasource["type"] == "prometheus"
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": datasource["uid"]}, panel[
            "title"
        ]
        assert panel["targets"], f"{panel['title']} has no query"
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == datasource["uid"], panel["title"]
            assert target["expr"].strip(), panel["title"]
            with_grafana_variables(target["expr"], "1m")  # raises on variables we cannot fill


def test_provisioning_takes_urls_and_paths_from_the_environment(datasource):
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/taskmgr.yml").read_text())
    (dashboards,) = provider["providers"]
    assert datasource["url"] == "${PROMETHEUS_URL}"
    assert dashboards["type"] == "file"
    assert dashboards["options"]["path"] == "${GRAFANA_DASHBOARDS_DIR}"


def test_every_series_a_panel_uses_is_exported_or_recorded(dashboard, rendered_rules):
    known = (
        exported_names() | {r["record"] for r in rendered_rules if "record" in r} | EXTERNAL_NAMES
    )
    exprs = [q.expr for q in queries(dashboard)] + annotation_exprs(dashboard)

    unknown = {name: expr for expr in exprs for name in metric_names(expr) if name not in known}

    assert not unknown, f"series nobody exports or records: {unknown}"


def test_every_metric_name_parsed_from_the_queries_is_a_real_name(dashboard):
    # guards the parser above: each panel query names at least one series
    for query in queries(dashboard):
        assert metric_names(query.expr), query


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('sum by (route) (rate(foo_total{a="b}c", le!~"x"}[5m]))', {"foo_total"}),
        ("100 * ns:bar:ratio > bool 5 or vector(0)", {"ns:bar:ratio"}),
        ("histogram_quantile(0.95, sum by (le) (rate(h_bucket[$__rate_interval])))", {"h_bucket"}),
        ("a / on(job) group_left(instance) b offset 5m unless c", {"a", "b", "c"}),
        ("1e3 * x", {"x"}),
    ],
)
def test_metric_names_are_parsed_out_of_promql(expr, names):
    assert metric_names(expr) == names


def test_error_ratio_panels_draw_the_high_error_rate_threshold(dashboard, rendered_rules):
    threshold = rule_threshold(rendered_rules, "HighErrorRate")  # 5 (%), the default
    panels = panels_reading(dashboard, "taskmgr_http_errors_per_requests:ratio")

    assert panels
    for panel in panels:
        assert panel["fieldConfig"]["defaults"]["unit"] == "percent"
        assert threshold_lines(panel) == [threshold], panel["title"]


def test_latency_panels_draw_the_high_latency_threshold(dashboard, rendered_rules):
    threshold = rule_threshold(rendered_rules, "HighLatency")  # 500 (ms), the default
    panels = panels_reading(dashboard, "http_request_duration_seconds:p95")

    assert len(panels) == 2  # percentiles overall and p95 by route
    for panel in panels:
        assert panel["fieldConfig"]["defaults"]["unit"] == "ms"
        assert threshold_lines(panel) == [threshold], panel["title"]


def test_alerts_firing_has_a_value_when_nothing_fires(dashboard):
    (panel,) = [p for p in dashboard["panels"] if "ALERTS" in p["targets"][0]["expr"]]

    assert panel["targets"][0]["expr"].endswith("or vector(0)")


def test_firing_alerts_leave_out_the_always_firing_heartbeat(dashboard):
    """The Heartbeat rule always fires (the pipeline watching itself): it is no incident."""
    exprs = [p["targets"][0]["expr"] for p in dashboard["panels"] if "ALERTS" in str(p)]
    exprs += [a["expr"] for a in dashboard["annotations"]["list"] if "ALERTS" in a.get("expr", "")]
    assert len(exprs) == 2
    for expr in exprs:
        assert 'alertname!="Heartbeat"' in expr, expr


def test_descriptions_say_where_the_threshold_lines_come_from(dashboard):
    for record, variable in [
        ("taskmgr_http_errors_per_requests:ratio", "ERROR_RATE_THRESHOLD"),
        ("http_request_duration_seconds:p95", "LATENCY_P95_THRESHOLD"),
    ]:
        for panel in panels_reading(dashboard, record):
            assert variable in panel["description"], panel["title"]


def test_time_to_page_panel_shows_p50_and_p95_of_the_workers_histogram(dashboard):
    (panel,) = panels_reading(dashboard, "taskmgr_bridge_time_to_page_seconds_bucket")

    quantiles = [t["expr"].split(",")[0] for t in panel["targets"]]
    assert quantiles == ["histogram_quantile(0.5", "histogram_quantile(0.95"]
    assert [t["legendFormat"] for t in panel["targets"]] == ["p50", "p95"]
    assert panel["fieldConfig"]["defaults"]["unit"] == "s"
    assert all("sum by (le)" in t["expr"] for t in panel["targets"])  # every severity
