"""Run wrk (the load generator, Debian's /usr/bin/wrk) and read its report.

`wrk --latency` prints the latency distribution (50/75/90/99 %); any socket error or
(unless asked for) non-2xx/3xx answer makes the run invalid, because a benchmark figure
must describe successful requests only.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}

_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_TOTAL = re.compile(r"^\s+(\d+) requests in ", re.M)
_PERCENTILE = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.M)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


class WrkError(RuntimeError):
    """wrk is missing, failed, or its run had errors; the message carries its output."""


@dataclass(frozen=True)
class WrkReport:
    requests_per_second: float
    requests: int
    latency_ms: dict[int, float]  # percentile -> milliseconds


def parse(output: str, *, allow_non_2xx: bool = False) -> WrkReport:
    rate, total = _RATE.search(output), _TOTAL.search(output)
    if not rate or not total:
        raise WrkError(f"unreadable wrk output:\n{output}")
    problems = []
    non_2xx = _NON_2XX.search(output)
    if non_2xx and int(non_2xx.group(1)) and not allow_non_2xx:
        problems.append(f"{non_2xx.group(1)} non-2xx/3xx responses")
    if (socket := _SOCKET.search(output)) and any(int(n) for n in socket.groups()):
        problems.append(socket.group(0))
    if problems:
        raise WrkError(f"wrk run had errors ({'; '.join(problems)}):\n{output}")
    latency = {int(p): float(v) * UNITS[u] for p, v, u in _PERCENTILE.findall(output)}
    return WrkReport(float(rate.group(1)), int(total.group(1)), latency)


def run(
    url: str,
    *,
    seconds: float,
    connections: int = 8,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
    script_args: tuple[str, ...] = (),
    allow_non_2xx: bool = False,
) -> WrkReport:
    """One wrk run against `url` (path included) for `seconds`; `allow_non_2xx` for load
    that asks for client errors on purpose."""
    binary = shutil.which("wrk")
    if binary is None:
        raise WrkError("wrk not found: install it with `apt-get install wrk`")
    argv = [
        binary,
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "--latency",
    ]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    if script is not None:
        argv += ["-s", str(script)]
    argv.append(url)
    if script_args:
        argv += ["--", *script_args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise WrkError(f"wrk exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return parse(done.stdout, allow_non_2xx=allow_non_2xx)
