"""Time to page: how long after 5xx answers begin each error-rate alert fires, measured by
promtool on the production rules (virtual time, so days of traffic cost seconds).

    python -m tests.rules.time_to_page   # measure and rewrite the README's table

Each case is the same API: healthy traffic (10 requests/s, all fast) for `HISTORY`, the
longest burn-rate window, so every window is full; then a share of the requests is
answered 5xx from t0 on, for `AFTER`. promtool evaluates the rules every 15 s, writing
the ALERTS series as Prometheus does; one instant query reads the first firing sample of
each alert (tests/rules/test_time_to_page.py compares the result with the README).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from stack import binaries, durations
from stack.render import REPO, render
from stack.settings import load

STEP = 15  # seconds: the production scrape and evaluation interval
RATE = 10  # requests per second
# A day of it: the page's windows and the ticket's 1d tier are full; the 3d tier sees that
# day and the incident (a Prometheus a day old). Three days would triple the run time.
HISTORY = durations.seconds("1d")
SHARES = (100.0, 10.0, 2.0, 0.5)  # percent of requests answered 5xx from t0
# how long each case runs after t0: past the slowest alert that can fire at that share
AFTER = {100.0: "30m", 10.0: "1h", 2.0: "2h", 0.5: "8h"}
ALERTS = {  # alert → its column in the table
    "HighErrorRate": "HighErrorRate (threshold 5 %, `for` 2m)",
    "AvailabilityBudgetFastBurn": "AvailabilityBudgetFastBurn (page)",
    "AvailabilityBudgetSlowBurn": "AvailabilityBudgetSlowBurn (ticket)",
}
README = REPO / "README.md"
BEGIN, END = "<!-- time-to-page:begin -->", "<!-- time-to-page:end -->"
FIRST_FIRING = 'min by (alertname) (min_over_time(timestamp(ALERTS{alertstate="firing"})[%s:15s]))'


@dataclass(frozen=True)
class Case:
    share: float  # percent of requests answered 5xx from t0

    @property
    def t0(self) -> int:
        return int(HISTORY)

    @property
    def end(self) -> int:
        return self.t0 + int(durations.seconds(AFTER[self.share]))

    def input_series(self) -> list[dict]:
        """The counters a 10 requests/s API exports, every 15 s from 0 to `end`."""
        per_step = RATE * STEP
        before, after = self.t0 // STEP, (self.end - self.t0) // STEP
        errors = per_step * self.share / 100

        def counter(healthy: float, sick: float) -> str:
            return f"0+{healthy:g}x{before - 1} {healthy * before:g}+{sick:g}x{after}"

        total = counter(per_step, per_step)
        responses = 'taskmgr_http_responses_total{class="%s"}'
        return [
            {"series": responses % "2xx", "values": counter(per_step, per_step - errors)},
            {"series": responses % "5xx", "values": counter(0, errors)},
            *(
                {"series": responses % c, "values": f"0x{before + after}"}
                for c in ("1xx", "3xx", "4xx")
            ),
            # every request is fast: the latency SLO stays quiet
            {"series": 'taskmgr_http_request_duration_seconds_bucket{le="0.5"}', "values": total},
            {"series": 'taskmgr_http_request_duration_seconds_bucket{le="+Inf"}', "values": total},
            {"series": "taskmgr_http_request_duration_seconds_count", "values": total},
        ]


def production_rules(out_dir: Path) -> Path:
    """The rules as `make run` renders them by default (production profile, 5 %, 99.9 %)."""
    settings = load(
        {"ALERT_BRIDGE_TOKEN": "t" * 32, "ACK_SIGNING_KEY": "k" * 32, "STATE_DIR": str(out_dir)},
        dotenv=None,
    )
    return render(settings, out_dir / "config") / "rules" / "taskmgr.yml"


def _promtool(test_file: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [binaries.require("promtool"), "test", "rules", str(test_file)],
        capture_output=True,
        text=True,
        timeout=1800,  # generous: a loaded 2-core CI box runs the four cases at once
    )


def _write_test(path: Path, rules: Path, case: Case, body: dict) -> Path:
    test = {
        "rule_files": [str(rules)],
        "evaluation_interval": f"{STEP}s",
        "tests": [{"interval": f"{STEP}s", "input_series": case.input_series(), **body}],
    }
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    return path


# promtool's report of what the query returned: {alertname="X"} 8.646E+04, ...
_GOT = re.compile(r'\{alertname="(\w+)"\} ([0-9.E+-]+)')


def first_firing(rules: Path, case: Case, work: Path) -> dict[str, int | None]:
    """Seconds from t0 to each alert's first firing evaluation; None: it never fired.

    promtool prints what an expression returned only when it differs from the expectation,
    so the query expects nothing and the answer is read from promtool's report."""
    since_t0 = f"{case.end - case.t0 + STEP}s"
    query = {"expr": FIRST_FIRING % since_t0, "eval_time": f"{case.end}s", "exp_samples": []}
    result = _promtool(
        _write_test(
            work / f"measure-{case.share:g}.yml", rules, case, {"promql_expr_test": [query]}
        )
    )
    found = {name: float(value) for name, value in _GOT.findall(result.stdout + result.stderr)}
    # Heartbeat always fires: an answer without it is promtool failing for another reason
    if "Heartbeat" not in found:
        raise AssertionError(f"promtool did not evaluate:\n{result.stdout}\n{result.stderr}")
    return {alert: (round(found[alert]) - case.t0 if alert in found else None) for alert in ALERTS}


def _duration(seconds: int | None, case: Case) -> str:
    if seconds is None:
        return f"never (in {AFTER[case.share]})"
    return durations.text(seconds)


def table(results: dict[float, dict[str, int | None]]) -> str:
    header = ["5xx share", *ALERTS.values()]
    rows = [
        [f"{share:g} %", *(_duration(results[share][alert], Case(share)) for alert in ALERTS)]
        for share in SHARES
    ]
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def measure() -> dict[float, dict[str, int | None]]:
    """Every case, two promtool runs at a time (a minute or two each)."""
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(2) as pool:
        work = Path(tmp)
        rules = production_rules(work)
        runs = {share: pool.submit(first_firing, rules, Case(share), work) for share in SHARES}
        return {share: run.result() for share, run in runs.items()}


def readme_table() -> str:
    text = README.read_text()
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def write_readme(new_table: str) -> None:
    text = README.read_text()
    before, rest = text.split(BEGIN, 1)
    README.write_text(f"{before}{BEGIN}\n{new_table}\n{END}{rest.split(END, 1)[1]}")


if __name__ == "__main__":
    measured = table(measure())
    write_readme(measured)
    print(measured)
