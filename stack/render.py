"""Settings + timing profile → the files Prometheus and Alertmanager run with.

    python -m stack.render [--out DIR] [--profile production|fast] [--check]

The templates are the committed files in prometheus/ and alertmanager/; `@@RULE_WINDOW@@` marks a
placeholder (it cannot collide with Go templates such as `{{ $value }}`). An unknown or
leftover placeholder is an error, never an empty string. A list (`@@API_TARGETS@@`) becomes
a YAML flow sequence, `["a:8000", "b:8000"]`, so it fits where one value did. Lines between
`# @@if NAME@@` and `# @@end NAME@@` are rendered only when NAME's value is "true".
DIR (default `$STATE_DIR/config`) receives prometheus.yml (and prometheus-<name>.yml for
each replica of a Prometheus pair), rules/*.yml, alertmanager.yml, bridge_token and
metrics_token (0600, the latter when METRICS_AUTH_TOKEN is set) and one `<process>.env` per
process (0600; stack/envfiles.py); it is built in a temporary sibling
directory and swapped in, so a failed render leaves the previous DIR untouched and never
a half-written one.
--check then runs `promtool check config` (which checks the rules too) and
`amtool check-config` on the result.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import yaml
from prometheus_client.utils import floatToGoString

from stack import binaries, durations, envfiles, slo
from stack.profiles import PROFILES
from stack.settings import REPO, TOKEN_FILE, Settings, SettingsError, load

PLACEHOLDER = re.compile(r"@@([A-Za-z0-9_]*)@@")
# `# @@if NAME@@` … `# @@end NAME@@` lines: what lies between is rendered only when the
# value of NAME is "true" (SLO_ALERTS_ENABLED=false renders no burn-rate alerts at all)
SECTION = re.compile(r"^[ \t]*# @@if (\w+)@@\n(.*?)^[ \t]*# @@end \1@@\n", re.M | re.S)
TEMPLATES = {  # rendered path → template, relative to the repo
    "prometheus.yml": Path("prometheus/prometheus.yml"),
    "rules/taskmgr.yml": Path("prometheus/rules/taskmgr.yml"),
    "alertmanager.yml": Path("alertmanager/alertmanager.yml"),
}
# every render has one; its presence marks a directory as ours to replace
MARKER = envfiles.env_file("api")


class RenderError(ValueError):
    pass


def template_values(settings: Settings) -> dict[str, str]:
    """Every placeholder a template may use, as the text that replaces it."""
    timing = settings.timing
    return {
        "TIMING_PROFILE": timing.name,
        "API_TARGETS": _flow(settings.api_targets),
        "BRIDGE_SCHEME": settings.bridge_scheme,
        "BRIDGE_TARGETS": _flow(settings.bridge_targets),
        "BRIDGE_WEBHOOK_CONFIGS": _flow(_webhook_configs(settings)),
        # no resolved notice: one sent because Prometheus stopped firing it is no heartbeat
        "BRIDGE_HEARTBEAT_CONFIGS": _flow(
            _webhook_configs(settings, "/heartbeat", send_resolved=False)
        ),
        "API_SCRAPE_AUTHORIZATION": _api_scrape_authorization(settings),
        "OUTBOX_TARGETS": _flow(settings.outbox_targets),
        "ALERTMANAGER_TARGETS": _flow(settings.alertmanager_targets),
        "PROMETHEUS_HOST": settings.prometheus_host,
        "PROMETHEUS_PORT": str(settings.prometheus_port),
        "PROMETHEUS_URL": settings.prometheus_url,
        "REMOTE_WRITE": "true" if settings.prometheus_remote_write_url else "false",
        "PROMETHEUS_REMOTE_WRITE_URL": settings.prometheus_remote_write_url,
        # prometheus.yml is the first replica's; render() adds prometheus-<name>.yml
        "PROMETHEUS_PAIR": "true" if settings.prometheus_replicas else "false",
        "PROMETHEUS_REPLICA": next(iter(settings.prometheus_replicas), ""),
        # the dashboard the alerts link to; empty without an explicit GRAFANA_URL
        "DASHBOARD_URL": settings.grafana_url and f"{settings.grafana_url}/d/taskmgr/taskmgr",
        "RUNBOOK_BASE_URL": settings.runbook_base_url,
        "SCRAPE_INTERVAL": timing.scrape_interval,
        "EVALUATION_INTERVAL": timing.evaluation_interval,
        "RULE_WINDOW": timing.rule_window,
        "SUMMARY_WINDOW_LABEL": settings.window_label,
        "ERROR_RATE_THRESHOLD": _number(settings.error_rate_threshold),
        "LATENCY_P95_THRESHOLD": _number(settings.latency_p95_threshold),
        "MIN_REQUEST_RATE": _number(timing.min_request_rate),
        "ERROR_RATE_FOR": timing.error_rate_for,
        "LATENCY_FOR": timing.latency_for,
        "API_DOWN_FOR": timing.api_down_for,
        "GROUP_WAIT": timing.group_wait,
        "CRITICAL_GROUP_WAIT": timing.critical_group_wait,
        "GROUP_INTERVAL": timing.group_interval,
        "ALERT_COOLDOWN_SECONDS": str(settings.alert_cooldown_seconds),
        "REPEAT_INTERVAL": _repeat_interval(settings.alert_cooldown_seconds, timing.group_interval),
        "KEEP_FIRING_FOR": timing.keep_firing_for,
        "STARTUP_GRACE": timing.startup_grace,
        "HEARTBEAT_INTERVAL": timing.heartbeat_interval,
        "HEARTBEAT_REPEAT_INTERVAL": _repeat_interval(
            durations.seconds(timing.heartbeat_interval), timing.heartbeat_interval
        ),
        **_slo_values(settings),
    }


def _slo_values(settings: Settings) -> dict[str, str]:
    """The SLO records' windows and budgets, and the alerts' switch (stack/slo.py)."""
    window = settings.slo_rule_window
    return {
        **{slo.placeholder(w): slo.scaled(w, settings.timing) for w in slo.BURN_WINDOWS},
        "SLO_WINDOW": window,
        "SLO_WINDOW_SECONDS": _number(durations.seconds(window)),
        "SLO_WINDOW_LABEL": durations.describe(window),
        "SLO_AVAILABILITY_TARGET": _number(settings.slo_availability_target),
        "SLO_AVAILABILITY_BUDGET": slo.budget(settings.slo_availability_target),
        "SLO_LATENCY_TARGET": _number(settings.slo_latency_target),
        "SLO_LATENCY_BUDGET": slo.budget(settings.slo_latency_target),
        # the `le` label of the histogram bucket at the threshold, spelt as the API's
        # prometheus_client writes it (0.5, 1.0)
        "LATENCY_THRESHOLD_LE": floatToGoString(settings.latency_p95_threshold / 1000),
        "SLO_ALERTS_ENABLED": "true" if settings.slo_alerts_enabled else "false",
    }


def render_text(template: str, values: Mapping[str, str], *, source: str) -> str:
    """Fill every placeholder in `template`; RenderError naming `source` if any is unknown."""
    switches = {name for name, _ in SECTION.findall(template)}
    unknown = sorted(
        {name for name in [*PLACEHOLDER.findall(template), *switches] if name not in values}
    )
    if unknown:
        names = ", ".join(f"@@{name}@@" for name in unknown)
        raise RenderError(f"{source}: unknown placeholder {names}")
    template = SECTION.sub(lambda match: match[2] if values[match[1]] == "true" else "", template)
    text = PLACEHOLDER.sub(lambda match: values[match[1]], template)
    for number, line in enumerate(text.splitlines(), start=1):
        if "@@" in line:
            raise RenderError(f"{source}:{number}: malformed placeholder left over: {line.strip()}")
    return text


def render(settings: Settings, out_dir: Path) -> Path:
    """Render every template into `out_dir` (replacing a previous render) and return it."""
    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and not _is_replaceable(out_dir):
        raise RenderError(f"refusing to replace {out_dir}: it exists and is not a rendered config")
    values = template_values(settings)
    files = {
        dest: render_text((REPO / src).read_text(), values, source=str(src))
        for dest, src in TEMPLATES.items()
    }
    files.update(_replica_configs(settings, values))
    for dest, text in files.items():
        _check_yaml(text, dest)
    files.update(envfiles.render_files(settings))

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it 0700; Prometheus may run as another user
        for dest, text in files.items():
            (staging / dest).parent.mkdir(parents=True, exist_ok=True)
            if dest.endswith(".env"):
                _write_secret(staging / dest, text)  # api.env and bridge.env hold secrets
            else:
                (staging / dest).write_text(text)
        _write_secret(staging / TOKEN_FILE, settings.bridge_token)
        if settings.metrics_auth_token:
            _write_secret(staging / envfiles.METRICS_TOKEN_FILE, settings.metrics_auth_token)
        _swap_in(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _replica_configs(settings: Settings, values: Mapping[str, str]) -> dict[str, str]:
    """One prometheus-<name>.yml per replica of PROMETHEUS_REPLICAS, each with its own
    `replica` label; the Procfile line runs the one PROMETHEUS_REPLICA names."""
    source = TEMPLATES["prometheus.yml"]
    return {
        f"prometheus-{name}.yml": render_text(
            (REPO / source).read_text(), {**values, "PROMETHEUS_REPLICA": name}, source=str(source)
        )
        for name in settings.prometheus_replicas
    }


def check(out_dir: Path) -> bool:
    """Run promtool and amtool on a render, echoing what they say; True if both accept it."""
    commands = [
        [binaries.require("promtool"), "check", "config", str(out_dir / "prometheus.yml")],
        [binaries.require("amtool"), "check-config", str(out_dir / "alertmanager.yml")],
    ]
    accepted = True
    for argv in commands:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        print(result.stdout + result.stderr, end="")
        accepted = accepted and result.returncode == 0
    return accepted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stack.render", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, help="target directory (default: $STATE_DIR/config)")
    parser.add_argument("--profile", choices=list(PROFILES), help="overrides TIMING_PROFILE")
    parser.add_argument("--check", action="store_true", help="run promtool and amtool on it")
    args = parser.parse_args(argv)
    try:
        settings = load(overrides={"TIMING_PROFILE": args.profile} if args.profile else None)
        out_dir = render(settings, args.out or settings.state_dir / "config")
        print(f"rendered {settings.timing.name} profile into {out_dir}")
        return 0 if not args.check or check(out_dir) else 1
    except (SettingsError, RenderError, binaries.MissingBinary) as exc:
        print(exc, file=sys.stderr)
        return 2


def _flow(items) -> str:
    """A YAML flow sequence (JSON is valid YAML): a whole list in one placeholder."""
    return json.dumps(list(items))


def _webhook_configs(
    settings: Settings, path: str = "/webhook", *, send_resolved: bool = True
) -> list[dict]:
    """Alertmanager's webhook_configs: one per bridge, each sending the bearer token file
    (resolved from alertmanager.yml's directory) and, by default, resolved alerts too."""
    auth = {"authorization": {"type": "Bearer", "credentials_file": TOKEN_FILE}}
    return [
        {"url": f"{url}{path}", "send_resolved": send_resolved, "http_config": auth}
        for url in settings.bridge_urls
    ]


def _repeat_interval(every: float, group_interval: str) -> str:
    """Alertmanager's repeat_interval for a reminder every `every` seconds, rounded up to a
    group_interval tick: that tick count, minus half a tick.

    Alertmanager repeats only on a group tick, and only if its notification log entry is
    older than repeat_interval; the entry is stamped after the send, a moment after its tick.
    With repeat_interval == group_interval the entry is a hair too young at the next tick
    and the reminder slips to the one after: twice the interval (measured in
    tests/alertmanager/test_live_alertmanager.py). Half a tick less lands it on time, and
    never a tick early (the bridge would take that repeat for a duplicate, not a reminder).
    """
    tick = durations.seconds(group_interval)
    ticks = max(1, math.ceil(every / tick))
    millis = round((ticks - 0.5) * tick * 1000)
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def _api_scrape_authorization(settings: Settings) -> str:
    """The API job's `authorization`: the METRICS_AUTH_TOKEN file when one is set (resolved
    from prometheus.yml's directory), else null, which Prometheus reads as none."""
    if not settings.metrics_auth_token:
        return "null"
    return json.dumps({"type": "Bearer", "credentials_file": envfiles.METRICS_TOKEN_FILE})


def _number(value: float) -> str:
    """5.0 → "5", 0.1 → "0.1": exact (repr), and valid PromQL and prose alike."""
    text = repr(float(value))
    return text.removesuffix(".0")


def _check_yaml(text: str, dest: str) -> None:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RenderError(f"{dest}: rendered file is not valid YAML: {exc}") from None
    if not isinstance(document, dict):
        raise RenderError(f"{dest}: rendered file is not a YAML mapping")


def _write_secret(path: Path, secret: str) -> None:
    # created 0600 from the start, so the token is never readable by others, even briefly
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secret)


def _is_replaceable(path: Path) -> bool:
    return path.is_dir() and (not any(path.iterdir()) or (path / MARKER).is_file())


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Move the finished render into place; the old one is removed only after that."""
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-old-", dir=out_dir.parent))
    out_dir.rename(old / "config")
    staging.rename(out_dir)
    shutil.rmtree(old)


if __name__ == "__main__":
    sys.exit(main())
