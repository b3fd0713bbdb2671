"""`python -m bench.capacity --quick` measures one worker of each process (docs/ha.md's
sizing figures): it runs end to end and reports a number for each. Figures are not judged."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bench import REPO
from bench.cli import RESULT_PREFIX
from testkit.stack import LEAKY


def test_quick_capacity_run_reports_every_process():
    env = {k: v for k, v in os.environ.items() if k not in LEAKY}
    done = subprocess.run(
        [sys.executable, "-m", "bench.capacity", "--quick", "--json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [
        json.loads(line.removeprefix(RESULT_PREFIX))
        for line in done.stdout.splitlines()
        if line.startswith(RESULT_PREFIX)
    ]
    figures = {row["benchmark"].split(",")[0]: row["figure"] for row in rows}
    assert sorted(figures) == [
        "capacity: API",
        "capacity: bridge",
        "capacity: delivery worker (1 process)",
    ]
    assert len(rows) == 4
    assert all(row["figure"][0].isdigit() for row in rows), rows
