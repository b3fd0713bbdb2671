"""Turn results into the progress line and the final summary table."""

from __future__ import annotations

from collections import Counter

from loadgen.runner import CONNECTION_ERROR, Result


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def status_class(status: int) -> str:
    if status == CONNECTION_ERROR:
        return "no response"
    if status == 429:
        return "429 throttled"
    return f"{status // 100}xx"


def progress_line(done: int, total: int, results: list[Result], width: int = 30) -> str:
    filled = int(width * done / total) if total else width
    errors = sum(1 for r in results if r.status >= 500 or r.status == CONNECTION_ERROR)
    throttled = sum(1 for r in results if r.status == 429)
    bar = "#" * filled + "." * (width - filled)
    return f"\r[{bar}] {done}/{total} sent, {len(results)} done, {errors} 5xx, {throttled} 429"


def summary(results: list[Result], elapsed: float, scenario: str) -> str:
    latencies = sorted(r.seconds * 1000 for r in results)
    classes = Counter(status_class(r.status) for r in results)
    injected = sum(1 for r in results if r.injected)
    rows = [
        ("scenario", scenario),
        ("requests", str(len(results))),
        ("elapsed", f"{elapsed:.1f} s"),
        ("achieved rate", f"{len(results) / elapsed:.1f} req/s" if elapsed else "-"),
        ("asked for a fault", str(injected)),
    ]
    rows += [(f"status {name}", str(count)) for name, count in sorted(classes.items())]
    for q in (50, 95, 99):
        rows.append((f"latency p{q}", f"{percentile(latencies, q):.1f} ms"))
    rows.append(("latency max", f"{latencies[-1]:.1f} ms" if latencies else "-"))
    width = max(len(k) for k, _ in rows)
    lines = [f"  {k.ljust(width)}  {v}" for k, v in rows]
    rule = "  " + "-" * (width + 20)
    return "\n".join([rule, *lines, rule])


def warnings(results: list[Result], scenario: str) -> list[str]:
    """Things the user should know about the run, e.g. faults the server ignored."""
    out = []
    injected = [r for r in results if r.injected]
    if scenario == "error-burst" and injected and not any(r.status >= 500 for r in injected):
        out.append(
            "the server ignored X-Fault-Status: start the stack with `make demo` "
            "(or FAULT_INJECTION_ENABLED=true make run)"
        )
    if scenario == "latency-spike" and injected:
        slow = sum(1 for r in injected if r.seconds >= 0.2)
        if slow == 0:
            out.append(
                "the server ignored X-Fault-Delay-Ms: start the stack with `make demo` "
                "(or FAULT_INJECTION_ENABLED=true make run)"
            )
    if results and all(r.status == CONNECTION_ERROR for r in results):
        out.append("no request got a response: is the API running?")
    return out
