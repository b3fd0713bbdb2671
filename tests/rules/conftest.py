"""Rendered rules for each timing profile, with the promtool unit tests rendered beside them.

The promtool test files (prometheus/rules/tests/<rule file>_test.yml) are templates too:
besides the rules' placeholders they need test timings that follow the profile (when an
alert must still be quiet, when it must fire). `rule_test_values` derives them; the
templates' header comments describe the scenarios they assume.
"""

import math
from pathlib import Path

import pytest

from stack.durations import seconds
from stack.profiles import PROFILES
from stack.render import REPO, render, render_text, template_values
from stack.settings import Settings, load

RULE_TESTS = REPO / "prometheus" / "rules" / "tests"


def stack_settings(tmp_path: Path, **env: str) -> Settings:
    """Default settings (not this machine's .env) plus `env`."""
    return load(
        {"ALERT_BRIDGE_TOKEN": "rules-test-token", "STATE_DIR": str(tmp_path), **env}, dotenv=None
    )


def rule_test_values(settings: Settings) -> dict[str, str]:
    timing = settings.timing
    step = seconds(timing.evaluation_interval)
    window = seconds(timing.rule_window)
    error_for, latency_for, down_for = (
        seconds(timing.error_rate_for),
        seconds(timing.latency_for),
        seconds(timing.api_down_for),
    )
    incident = math.ceil((max(error_for, latency_for) + 4 * step) / step)  # steps
    after = math.ceil((window + 4 * step) / step)
    down = math.ceil(down_for / step) + 3
    times = {
        "STEP": step,
        # a condition first holds one step in (rate() needs two samples): quiet at `for`,
        # firing one step later
        "ERROR_QUIET_AT": error_for,
        "ERROR_FIRING_AT": step + error_for,
        "LATENCY_QUIET_AT": latency_for,
        "LATENCY_FIRING_AT": step + latency_for,
        "RECOVERED_AT": incident * step + window + 2 * step,
        # the API target fails from step 3 on
        "DOWN_QUIET_AT": 3 * step + down_for - step,
        "DOWN_FIRING_AT": 3 * step + down_for,
        "UP_AGAIN_AT": (4 + down) * step,
        "ABSENT_QUIET_AT": down_for - step,
        "ABSENT_FIRING_AT": down_for,
        "RECORD_STEP": window / 10,
        "RECORD_AT": 2 * window,
    }
    assert min(times.values()) >= 0, f"profile {timing.name} is too tight for these tests"
    return {
        **{name: f"{round(value * 1000)}ms" for name, value in times.items()},
        "INCIDENT_STEPS": str(incident),
        "AFTER_STEPS": str(after),
        "TOTAL_STEPS": str(incident + after + 1),
        "ERRORS_AT_END": str(5 * incident),  # the 5xx counter after 5 per step
        "LATE_INCIDENT_STEPS": str(incident - 1),  # its steps after the first
        "DOWN_STEPS": str(down),
        **{f"RATE_{n}": str(round(n / window * 1e6)) for n in (50, 450, 500)},
    }


def render_rule_tests(settings: Settings, rules_dir: Path) -> dict[str, Path]:
    """Render each promtool test template into `rules_dir/tests/`; name → path."""
    values = template_values(settings) | rule_test_values(settings)
    (rules_dir / "tests").mkdir(exist_ok=True)
    rendered = {}
    for template in sorted(RULE_TESTS.glob("*_test.yml")):
        target = rules_dir / "tests" / template.name
        target.write_text(render_text(template.read_text(), values, source=template.name))
        rendered[template.stem] = target
    return rendered


@pytest.fixture(params=list(PROFILES))
def rendered(request, tmp_path) -> Path:
    """A full render for one profile, with its promtool tests in rules/tests/."""
    settings = stack_settings(tmp_path, TIMING_PROFILE=request.param)
    out_dir = render(settings, tmp_path / "config")
    render_rule_tests(settings, out_dir / "rules")
    return out_dir
