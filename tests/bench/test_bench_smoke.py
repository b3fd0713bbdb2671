"""The benchmark harness works end to end: `python -m bench --quick` writes a table of numbers.

Real servers, real wrk, small sizes. Figures are not judged here (no timing assertions):
only that each benchmark ran and reported a measured number with its command.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from bench import REPO
from bench.report import read_table
from testkit.stack import LEAKY

SMOKE = ("task_list", "instrumentation_cost", "history", "window_reads", "trim", "ingest")
NUMBER = re.compile(r"\d+(\.\d+)?")


def test_quick_run_writes_a_results_table(tmp_path):
    out = tmp_path / "results.md"
    env = {k: v for k, v in os.environ.items() if k not in LEAKY}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out), *SMOKE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    rows = read_table(out)
    assert {row.command for row in rows} == {f"python -m bench.{name} --quick" for name in SMOKE}
    for row in rows:
        assert NUMBER.search(row.figure), row
        assert row.verdict in ("pass", "FAIL", "—"), row
        assert row.machine and row.date, row
    # a figure with a target is judged, one without is informative
    assert all((row.target == "—") == (row.verdict == "—") for row in rows)


def test_an_unknown_benchmark_is_refused_by_name(tmp_path):
    out = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--out", str(out), "nope"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "unknown benchmark nope" in done.stderr
    assert not out.exists()
