"""Command line of the traffic simulator: flags, validation, progress, summary."""

from __future__ import annotations

import argparse
import os
import sys
from urllib.parse import urlparse

from loadgen import report
from loadgen.runner import Plan, SetupError, run
from loadgen.scenarios import SCENARIOS, Options


def _bounded(kind, low, high, name):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be between {low} and {high}, got {text}")
        return value

    return parse


def _url(text: str) -> str:
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise argparse.ArgumentTypeError(f"--url must look like http://host:port, got {text!r}")
    return text.rstrip("/")


def build_parser() -> argparse.ArgumentParser:
    default_url = f"http://127.0.0.1:{os.environ.get('API_PORT', '8000')}"
    parser = argparse.ArgumentParser(
        prog="python -m loadgen",
        description="Send realistic traffic to a taskmgr API and summarise what came back.",
    )
    parser.add_argument(
        "scenario",
        nargs="?",
        default="steady",
        choices=sorted(SCENARIOS),
        help="what to send (default: steady)",
    )
    parser.add_argument(
        "--url", type=_url, default=default_url, help=f"API base URL ({default_url})"
    )
    parser.add_argument(
        "--rate",
        type=_bounded(float, 0.1, 5000, "--rate"),
        default=20.0,
        help="requests per second (default 20)",
    )
    parser.add_argument(
        "--duration",
        type=_bounded(float, 1, 86400, "--duration"),
        default=60.0,
        help="seconds to run (default 60)",
    )
    parser.add_argument(
        "--concurrency",
        type=_bounded(int, 1, 512, "--concurrency"),
        default=8,
        help="requests in flight at most (default 8)",
    )
    parser.add_argument(
        "--users",
        type=_bounded(int, 1, 100, "--users"),
        default=3,
        help="users to register and spread requests over (default 3)",
    )
    parser.add_argument(
        "--error-percent",
        type=_bounded(float, 0, 100, "--error-percent"),
        default=50.0,
        help="error-burst: share of requests that ask for a 503 during the burst (default 50)",
    )
    parser.add_argument(
        "--delay-ms",
        type=_bounded(int, 1, 30000, "--delay-ms"),
        default=800,
        help="latency-spike: injected delay per request in ms (default 800)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed for a repeatable run")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    plan = Plan(
        base_url=args.url,
        scenario=SCENARIOS[args.scenario],
        rate=args.rate,
        duration=args.duration,
        concurrency=args.concurrency,
        users=args.users,
        options=Options(error_percent=args.error_percent, delay_ms=args.delay_ms),
        seed=args.seed,
    )
    show = not args.no_progress and sys.stderr.isatty()

    def on_progress(done, total, results):
        if show:
            sys.stderr.write(report.progress_line(done, total, results))
            sys.stderr.flush()

    print(
        f"{args.scenario}: {args.rate:g} req/s for {args.duration:g} s against {args.url} "
        f"({args.concurrency} in flight, {args.users} users)",
        file=sys.stderr,
    )
    try:
        results, elapsed = run(plan, on_progress)
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    if show:
        sys.stderr.write("\n")
    print(report.summary(results, elapsed, args.scenario))
    for line in report.warnings(results, args.scenario):
        print(f"warning: {line}", file=sys.stderr)
    return 0
