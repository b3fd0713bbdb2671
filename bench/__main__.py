"""Run the benchmarks and write the results table.

    python -m bench [names...] [--quick] [--out bench/results.md]

Each benchmark runs in a fresh process (`python -m bench.<name> --json`), one after the
other so they never load the machine at the same time. Its rows replace that benchmark's
rows in the table; a benchmark that fails gets a FAIL row saying so, and the exit status
is 1.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench import REPO
from bench.cli import RESULT_PREFIX, log
from bench.report import Result, machine, today, write_table

# cheapest first; the whole-stack one last
BENCHMARKS = (
    "task_list",
    "instrumentation_cost",
    "instrumentation_page",
    "instrumentation",
    "scrape",
    "history",
    "window_reads",
    "trim",
    "ingest",
    "capacity",
    "time_to_alert",
)
DEFAULT_OUT = Path(__file__).with_name("results.md")


def run_one(name: str, quick: bool) -> tuple[bool, list[Result]]:
    """(completed, its rows); a benchmark that failed gets one FAIL row saying so."""
    argv = [sys.executable, "-m", f"bench.{name}", "--json", *(["--quick"] if quick else [])]
    log(f"== {' '.join(['python', *argv[1:]])}")
    done = subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE, text=True)  # stderr: ours
    results = [
        Result(**json.loads(line.removeprefix(RESULT_PREFIX)))
        for line in done.stdout.splitlines()
        if line.startswith(RESULT_PREFIX)
    ]
    if done.returncode != 0 or not results:
        command = f"python -m bench.{name}" + (" --quick" if quick else "")
        return False, [
            Result(
                name,
                f"did not complete (exit {done.returncode}; its error is in the run's stderr)",
                verdict="FAIL",
                command=command,
                machine=machine(),
                date=today(),
            )
        ]
    return True, results


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "names",
        nargs="*",
        metavar="name",
        help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, short runs")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results table (Markdown)")
    args = parser.parse_args()
    if unknown := [name for name in args.names if name not in BENCHMARKS]:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)
    results, failed = [], []
    for done, name in enumerate(names, 1):
        completed, rows = run_one(name, args.quick)
        results += rows
        if not completed:
            failed.append(name)
        # after each benchmark, so an interrupted run keeps what it measured
        write_table(args.out, results, replaced=set(names[:done]))
    log(f"results: {args.out}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
