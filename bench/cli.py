"""The command line every benchmark module shares: `python -m bench.<name> [--quick] [--json]`.

Progress goes to stderr; results go to stdout, as readable lines or (for the runner) one
JSON object per line behind RESULT_PREFIX. Each result names the command that made it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable

from bench.report import Result, machine, today

RESULT_PREFIX = "BENCH-RESULT "


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(
    name: str,
    run: Callable[[argparse.Namespace], list[Result]],
    description: str,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{name}", description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes, short runs")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args()
    stamp = {
        "command": " ".join(["python -m", f"bench.{name}", *sys.argv[1:]]).replace(" --json", ""),
        "machine": machine(),
        "date": today(),
    }
    for result in run(args):
        result = dataclasses.replace(result, **stamp)
        if args.json:
            print(RESULT_PREFIX + json.dumps(result.to_json()), flush=True)
        else:
            print(
                f"{result.benchmark}: {result.figure}  [target {result.target}: {result.verdict}]"
            )
    return 0
