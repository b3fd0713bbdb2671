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
        {
            "ALERT_BRIDGE_TOKEN": "rules-test-token",
            "ACK_SIGNING_KEY": "rules-test-ack-signing-key-0123456789",
            "STATE_DIR": str(tmp_path),
            **env,
        },
        dotenv=None,
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
    keep, grace = seconds(timing.keep_firing_for), seconds(timing.startup_grace)
    incident = math.ceil((max(error_for, latency_for) + 4 * step) / step)  # steps
    after = math.ceil((window + keep + 4 * step) / step)
    down = math.ceil(down_for / step) + 3
    back = 4 + down  # the step the API target answers again after `down`
    flap = math.ceil(keep / step) - 2  # steps it answers during a flap: less than keep
    again = back + flap + 3  # the step it answers for good after the flap
    grace_steps = round(grace / step)
    assert keep >= 3 * step, f"profile {timing.name}: keep_firing_for too short to test a flap"
    assert grace > down_for + step, f"profile {timing.name}: grace too short to tell from `for`"
    times = {
        "STEP": step,
        # a condition first holds one step in (rate() needs two samples): quiet at `for`,
        # firing one step later
        "ERROR_QUIET_AT": error_for,
        "ERROR_FIRING_AT": step + error_for,
        "LATENCY_QUIET_AT": latency_for,
        "LATENCY_FIRING_AT": step + latency_for,
        # the condition has lapsed a window after the incident; keep_firing_for holds it on
        "RECOVERED_AT": incident * step + window + 2 * step + keep,
        # a target fails from step 3 on, answers again at step `back`
        "DOWN_QUIET_AT": 3 * step + down_for - step,
        "DOWN_FIRING_AT": 3 * step + down_for,
        "STILL_DOWN_AT": back * step + keep - step,
        "UP_AGAIN_AT": back * step + keep,
        # the flap: back for `flap` steps, down for 3, back for good at step `again`
        "FLAP_BACK_AT": (back + flap - 1) * step,
        "FLAP_KEPT_AT": again * step + keep - step,
        "FLAP_OVER_AT": again * step + keep,
        # Prometheus started at t=0; the grace ends at GRACE
        "GRACE_LAST_AT": grace - step,
        "GRACE": grace,
        "GRACE_QUIET_AT": grace + down_for - step,
        "GRACE_FIRING_AT": grace + down_for,
        "SECOND_GRACE_OVER_AT": 2 * grace,  # a restart at GRACE, a new grace after it
        "OUTBOX_QUIET_AT": window,
        "OUTBOX_FIRING_AT": window + step,
        # the failure counter stops at step 3 + down; a window later nothing failed in it
        "FAILURES_OVER_AT": (3 + down) * step + window + step,
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
        "FLAP_STEPS": str(flap - 1),
        "GRACE_DOWN_STEPS": str(grace_steps - 1),  # down at steps 0 … grace - step
        "GRACE_TOTAL_STEPS": str(grace_steps + math.ceil(down_for / step) + 4),
        "GRACE_SECONDS": f"{grace:g}",  # the start time of a Prometheus started at GRACE
        "OUTBOX_DEPTH_AT_FIRING": str(round(window / step) + 1),  # one more every step
        "FAILURES_AT_END": str(down + 1),
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
