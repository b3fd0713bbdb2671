"""Soak: the loadgen `mixed` traffic against a running API for N minutes while sampling its
footprint; a report, and a non-zero exit when a bound is broken.

Bounds (each a flag):
* no 5xx the run did not ask for (fault injection marks its own) and no connection errors;
* memory: total RSS of the API's processes, median of the last quarter of the run minus the
  median of the first quarter (after warm-up), at most --max-rss-growth-mib;
* open fds: the same comparison on maxima, at most --max-fd-growth;
* the multiprocess folder never holds more than 3 files per process (counter, histogram,
  live gauge) + one transient worker + 3 archives, however many workers were recycled.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from loadgen.runner import CONNECTION_ERROR, Plan, SetupError, run
from loadgen.scenarios import SCENARIOS, Options
from soak.probe import Footprint, ProbeError, footprint

MIB = 1024 * 1024
FILES_PER_PROCESS = 3
ARCHIVES = 3


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the start
    processes: int
    rss_mib: float
    open_fds: int
    metric_files: int


def _sample(at: float, fp: Footprint) -> Sample:
    return Sample(at, len(fp.pids), round(fp.rss_bytes / MIB, 1), fp.open_fds, fp.metric_files)


def files_bound(processes: int) -> int:
    return FILES_PER_PROCESS * (processes + 1) + ARCHIVES


def judge(samples: list[Sample], results, args) -> dict:
    """The report: figures and the list of broken bounds (empty = pass)."""
    warm = [s for s in samples if s.at >= args.warmup] or samples
    quarter = max(1, len(warm) // 4)
    first, last = warm[:quarter], warm[-quarter:]
    rss_growth = statistics.median(s.rss_mib for s in last) - statistics.median(
        s.rss_mib for s in first
    )
    fd_growth = max(s.open_fds for s in last) - max(s.open_fds for s in first)
    worst_files = max(samples, key=lambda s: s.metric_files - files_bound(s.processes))
    unexpected_5xx = sum(1 for r in results if r.status >= 500 and not r.injected)
    connection_errors = sum(1 for r in results if r.status == CONNECTION_ERROR)
    broken = []
    if unexpected_5xx:
        broken.append(f"{unexpected_5xx} 5xx responses that were not injected")
    if connection_errors:
        broken.append(f"{connection_errors} requests got no HTTP response")
    if rss_growth > args.max_rss_growth_mib:
        broken.append(f"RSS grew {rss_growth:.1f} MiB (bound {args.max_rss_growth_mib})")
    if fd_growth > args.max_fd_growth:
        broken.append(f"open fds grew by {fd_growth} (bound {args.max_fd_growth})")
    if worst_files.metric_files > files_bound(worst_files.processes):
        broken.append(
            f"{worst_files.metric_files} metric files for {worst_files.processes} processes "
            f"(bound {files_bound(worst_files.processes)})"
        )
    statuses: dict[str, int] = {}
    for r in results:
        statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
    return {
        "requests": len(results),
        "statuses": dict(sorted(statuses.items())),
        "injected": sum(r.injected for r in results),
        "unexpected_5xx": unexpected_5xx,
        "connection_errors": connection_errors,
        "rss_mib": {"first_quarter_median": round(statistics.median(s.rss_mib for s in first), 1),
                    "last_quarter_median": round(statistics.median(s.rss_mib for s in last), 1),
                    "growth": round(rss_growth, 1), "bound": args.max_rss_growth_mib},
        "open_fds": {"first_quarter_max": max(s.open_fds for s in first),
                     "last_quarter_max": max(s.open_fds for s in last),
                     "growth": fd_growth, "bound": args.max_fd_growth},
        "metric_files": {"max": max(s.metric_files for s in samples),
                         "bound_at_worst": files_bound(worst_files.processes)},
        "process_ids_seen": args.pids_seen,
        "broken": broken,
        "samples": [asdict(s) for s in samples],
    }  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    state = Path(os.environ.get("STATE_DIR", ".run"))
    port = int(os.environ.get("API_PORT", "8000"))
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=port, help=f"API port ({port})")
    parser.add_argument("--minutes", type=float, default=10.0, help="run length (10)")
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second (20)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds before the baseline")
    parser.add_argument(
        "--multiproc-dir", type=Path, default=state / "multiproc" / "api",
        help="the API's PROMETHEUS_MULTIPROC_DIR ($STATE_DIR/multiproc/api)",
    )  # fmt: skip
    parser.add_argument("--max-rss-growth-mib", type=float, default=64.0)
    parser.add_argument("--max-fd-growth", type=int, default=16)
    parser.add_argument("--report", type=Path, default=state / "soak-report.json")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    url = f"http://127.0.0.1:{args.port}"
    duration = args.minutes * 60
    try:
        start_fp = footprint(args.port, args.multiproc_dir)
    except ProbeError as exc:
        print(f"soak: {exc} (is the stack running? `make run`)", file=sys.stderr)
        return 2
    plan = Plan(
        base_url=url, scenario=SCENARIOS["mixed"], rate=args.rate, duration=duration,
        concurrency=args.concurrency, users=3, options=Options(), seed=1,
    )  # fmt: skip
    outcome: dict = {}

    def load() -> None:
        try:
            outcome["results"], _ = run(plan)
        except SetupError as exc:
            outcome["error"] = str(exc)

    print(f"soak: mixed traffic, {args.rate:g} req/s for {args.minutes:g} min against {url}")
    traffic = threading.Thread(target=load, daemon=True)
    started = time.monotonic()
    traffic.start()
    samples = [_sample(0.0, start_fp)]
    pids_seen = set(start_fp.pids)
    while traffic.is_alive():
        traffic.join(args.interval)
        try:
            fp = footprint(args.port, args.multiproc_dir)
        except ProbeError as exc:
            print(f"soak: the API went away: {exc}", file=sys.stderr)
            return 1
        pids_seen |= set(fp.pids)
        samples.append(_sample(time.monotonic() - started, fp))
        last = samples[-1]
        print(
            f"  {last.at:6.0f}s  processes {last.processes}  rss {last.rss_mib:7.1f} MiB  "
            f"fds {last.open_fds:4d}  metric files {last.metric_files}",
            flush=True,
        )
    if "error" in outcome:
        print(f"soak: {outcome['error']}", file=sys.stderr)
        return 2
    args.pids_seen = len(pids_seen)
    report = judge(samples, outcome["results"], args)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2))
    summary = {k: v for k, v in report.items() if k != "samples"}
    print(json.dumps(summary, indent=2))
    print(f"soak: report in {args.report}: {'FAIL' if report['broken'] else 'PASS'}")
    return 1 if report["broken"] else 0
