"""One benchmark figure (`Result`), how figures are summarised, and the results table.

The table (bench/results.md) has one row per figure; running a subset of benchmarks
replaces their rows and keeps the others, so every row carries its own machine and date.
"""

from __future__ import annotations

import math
import operator
import os
import platform
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

COLUMNS = ("benchmark", "figure", "target", "verdict", "command", "machine", "date")


@dataclass(frozen=True)
class Result:
    benchmark: str  # e.g. "instrumentation: metrics on / off (req/s ratio)"
    figure: str  # e.g. "0.98 (0.95..1.01)"
    target: str = "—"  # what the issue asks, or "—" when the figure is informative
    verdict: str = "—"  # "pass", "FAIL" or "—"
    command: str = ""
    machine: str = ""
    date: str = ""

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


_COMPARE = {"≥": operator.ge, "≤": operator.le, "<": operator.lt}


def judged(
    benchmark: str,
    figure: str,
    values: Sequence[float],
    sign: str,
    bound: float,
    shown: str = "{:g}",
) -> Result:
    """A figure whose median must be `sign bound` (≥, ≤ or <). The target column is written
    from the same sign and bound that are checked, so the two cannot disagree; `shown` formats
    the bound and may carry its unit ("{:g} ms")."""
    ok = _COMPARE[sign](statistics.median(values), bound)
    return Result(benchmark, figure, f"{sign} {shown.format(bound)}", verdict(ok))


def spread(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    """`median (min..max)`, the way every repeated figure is reported."""
    low, mid, high = min(values), statistics.median(values), max(values)
    if len(values) == 1:
        return fmt.format(mid)
    return f"{fmt.format(mid)} ({fmt.format(low)}..{fmt.format(high)})"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of raw samples."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} x {cpu}, Python {platform.python_version()}"


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _cell(value: str) -> str:
    # A `|` would split the cell when the table is read back.
    return value.replace("|", "/").replace("\n", " ")


def read_table(path: Path) -> list[Result]:
    """The rows of a table this module wrote; [] when there is none yet."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        # data rows only: the separator starts with "|-", the header names the columns
        if line.startswith("| ") and len(cells) == len(COLUMNS) and cells[0] != COLUMNS[0]:
            rows.append(Result(*cells))
    return rows


def write_table(path: Path, results: Iterable[Result], *, replaced: set[str]) -> None:
    """Write `results`, keeping earlier rows whose command's benchmark was not re-run."""
    results = list(results)
    kept = [r for r in read_table(path) if benchmark_name(r.command) not in replaced]
    rows = kept + results
    lines = [
        "# taskmgr benchmark results",
        "",
        "Written by `python -m bench` (bench/__main__.py). Repeated figures are median "
        "(min..max) over interleaved rounds; ratios are computed per round. The machine is "
        "shared and noisy: read every throughput ratio beside its A/A pair.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(v) for v in asdict(row).values()) + " |")
    path.write_text("\n".join(lines) + "\n")


def benchmark_name(command: str) -> str:
    """`python -m bench.scrape --quick` → `scrape`."""
    for word in command.split():
        if word.startswith("bench."):
            return word.removeprefix("bench.")
    return ""
