"""Instrumentation overhead under gunicorn: the task list with our metrics on, off, and
django-prometheus in their place, beside an identical A/A pair.

    python -m bench.instrumentation [--quick]

Four API servers (2 workers each, own DB copy and metrics folder) run side by side; each
round puts the same wrk load (-t2 -c8) on one at a time, in a rotated order, so drift hits
every variant alike. Ratios are computed per round. Targets: metrics on ≥ 0.97 of off, and
not below django-prometheus. The per-request cost in µs: bench/instrumentation_cost.py.
"""

from __future__ import annotations

import sys

import requests

from bench import cli, servers, wrk
from bench.report import Result, judged, spread
from bench.rounds import rotations
from bench.workspace import workspace

PATH = "/api/v1/tasks/"
# server name -> BENCH_METRICS; "ours-b" is the A/A twin of "ours"
VARIANTS = {
    "ours": "ours",
    "ours-b": "ours",
    "off": "off",
    "django-prometheus": "django-prometheus",
}
TARGET_VS_OFF = 0.97


def rounds_of(urls: dict[str, str], headers: dict[str, str], *, rounds: int, seconds: float):
    """name -> req/s per round; round r starts at the r-th variant."""
    rates: dict[str, list[float]] = {name: [] for name in urls}
    for r, order in rotations(list(urls), rounds):
        for name in order:
            report = wrk.run(urls[name] + PATH, seconds=seconds, headers=headers)
            rates[name].append(report.requests_per_second)
        cli.log(f"instrumentation: round {r + 1}: { {n: round(v[-1]) for n, v in rates.items()} }")
    return rates


# A series only that variant's middleware exports; absent from the others' /metrics.
EVIDENCE = {"ours": "taskmgr_http_requests_total{", "django-prometheus": "django_http_requests"}


def check_variant(url: str, metrics: str) -> None:
    """Fail loudly if a server does not run the variant it is named for."""
    body = requests.get(f"{url}/metrics", timeout=10).text
    for variant, series in EVIDENCE.items():
        if (series in body) != (variant == metrics):
            raise RuntimeError(f"{url} should run BENCH_METRICS={metrics}, /metrics disagrees")


def ratio(rates: dict[str, list[float]], a: str, b: str) -> list[float]:
    return [x / y for x, y in zip(rates[a], rates[b], strict=True)]


def run(args) -> list[Result]:
    # many short rounds: a burst of someone else's load spoils one ratio, not the median
    rounds, seconds = (1, 1) if args.quick else (12, 4)
    with workspace("instrumentation") as (tmp, redis, stack):
        database, token = servers.seed_database(tmp, redis.url)
        headers = {"Authorization": f"Token {token}"}
        urls = {}
        for name, metrics in VARIANTS.items():
            api = servers.api_server(
                tmp, name, database=database, redis_url=redis.url, metrics=metrics
            )
            stack.enter_context(api.process)
            urls[name] = api.url
            wrk.run(api.url + PATH, seconds=1, headers=headers)  # warm-up: imports, caches
        rates = rounds_of(urls, headers, rounds=rounds, seconds=seconds)
        for name, metrics in VARIANTS.items():
            check_variant(urls[name], metrics)
    vs_off, vs_djp, aa = (
        ratio(rates, "ours", "off"),
        ratio(rates, "ours", "django-prometheus"),
        ratio(rates, "ours", "ours-b"),
    )
    a_a = f"A/A pair {spread(aa)}"
    return [
        judged(
            "instrumentation: task list req/s, metrics on / off (gunicorn 2 workers, wrk -t2 -c8)",
            f"{spread(vs_off)}; {a_a}",
            vs_off,
            "≥",
            TARGET_VS_OFF,
        ),
        judged(
            "instrumentation: task list req/s, metrics on / django-prometheus",
            f"{spread(vs_djp)}; {a_a}",
            vs_djp,
            "≥",
            1.0,
            "{:.2f}",
        ),
        Result(
            "instrumentation: task list req/s per variant",
            "; ".join(f"{name} {spread(values, '{:.0f}')}" for name, values in rates.items()),
        ),
    ]


if __name__ == "__main__":
    sys.exit(cli.main("instrumentation", run, __doc__.split("\n")[0]))
