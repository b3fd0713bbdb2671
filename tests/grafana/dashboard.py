"""Reading grafana/dashboards/taskmgr.json the way Grafana does: panels, their PromQL, and the
metric names those queries use; plus running every panel query against a live Prometheus."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "grafana"
DASHBOARD_PATH = GRAFANA / "dashboards" / "taskmgr.json"

# Grafana's built-in interval variables, replaced as Grafana would for a short time range.
GRAFANA_VARIABLES = ("$__rate_interval", "$__interval", "$__range")

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w:.$])[A-Za-z_:][A-Za-z0-9_:]*")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


@dataclass(frozen=True)
class Query:
    panel: str  # the panel's title
    ref_id: str
    expr: str


def load(path: Path = DASHBOARD_PATH) -> dict:
    return json.loads(Path(path).read_text())


def queries(dashboard: dict) -> list[Query]:
    """Every PromQL a panel runs, in panel order."""
    return [
        Query(panel["title"], target["refId"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def annotation_exprs(dashboard: dict) -> list[str]:
    return [a["expr"] for a in dashboard.get("annotations", {}).get("list", []) if "expr" in a]


def metric_names(expr: str) -> set[str]:
    """Series names a PromQL expression selects (functions, keywords and labels left out)."""
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub("", text)
    text = _RANGE.sub("", text)
    text = _GROUPING.sub("", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        followed_by_call = text[match.end() :].lstrip().startswith("(")
        if not followed_by_call and match[0].lower() not in _KEYWORDS:
            names.add(match[0])
    return names


def with_grafana_variables(expr: str, interval: str) -> str:
    """The query as Grafana sends it; ValueError if it uses a variable we cannot fill."""
    for variable in GRAFANA_VARIABLES:
        expr = expr.replace(variable, interval)
    if "$" in expr:
        raise ValueError(f"unknown Grafana variable in {expr!r}")
    return expr


def series_count(prometheus_url: str, expr: str, *, lookback: float = 300) -> int:
    """How many series the query returns over the last `lookback` seconds, as a graph would."""
    now = time.time()
    response = requests.get(
        f"{prometheus_url}/api/v1/query_range",
        params={"query": expr, "start": now - lookback, "end": now, "step": "5s"},
        timeout=10,
    )
    if response.status_code != 200:
        raise AssertionError(f"Prometheus refused {expr!r}: {response.status_code} {response.text}")
    return len(response.json()["data"]["result"])


def query_counts(
    prometheus_url: str, dashboard_path: Path = DASHBOARD_PATH, *, interval: str = "1m"
) -> dict[Query, int]:
    """Each panel query → how many series it returned."""
    return {
        query: series_count(prometheus_url, with_grafana_variables(query.expr, interval))
        for query in queries(load(dashboard_path))
    }


def run_panel_queries(
    prometheus_url: str, dashboard_path: Path = DASHBOARD_PATH, *, interval: str = "1m"
) -> dict[str, int]:
    """Panel title → the fewest series any of its queries returned (0: a query has no data)."""
    counts: dict[str, int] = {}
    for query, found in query_counts(prometheus_url, dashboard_path, interval=interval).items():
        counts[query.panel] = min(found, counts.get(query.panel, found))
    return counts
