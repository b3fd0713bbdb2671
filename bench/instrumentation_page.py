"""Instrumentation overhead on the real task-list page, in-process: metrics on, off, and
django-prometheus in their place.

    python -m bench.instrumentation_page [--quick]

The same comparison as bench/instrumentation.py without sockets or wrk: three WSGI
handlers in one process (one MIDDLEWARE each, bench/django_settings.py), metrics in
multiprocess mode as under gunicorn, timed in many short interleaved rounds. Time is this
process's CPU time, so other processes on a shared machine do not count; a CPU-bound
worker's throughput is its inverse. Figures are throughput ratios computed per round.
Targets: on ≥ 0.97 of off, and not below django-prometheus.
"""

from __future__ import annotations

import logging
import os
import sys
import time

from bench import cli
from bench.report import Result, judged, spread
from bench.rounds import rotations
from bench.task_list import ms_per_request, page_getter, setup_django
from bench.workspace import workspace

VARIANTS = ("ours", "off", "django-prometheus")
TARGET_VS_OFF = 0.97


def handlers(token: str) -> dict[str, object]:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    from bench.django_settings import SHIPPED_MIDDLEWARE, middleware_for

    gets = {}
    for variant in VARIANTS:
        # the handler builds its middleware chain once, from the settings at that moment
        with override_settings(MIDDLEWARE=middleware_for(variant, SHIPPED_MIDDLEWARE)):
            gets[variant] = page_getter(token, WSGIHandler())
    return gets


def run(args) -> list[Result]:
    requests, rounds = (30, 2) if args.quick else (100, 40)
    with workspace("instr-page") as (tmp, redis, _):
        # before prometheus_client is imported: the mmap values gunicorn workers use
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(tmp / "multiproc")
        (tmp / "multiproc").mkdir()
        token = setup_django(tmp, redis.url, metrics="django-prometheus")
        # the active-users flusher's last flush at exit finds Redis gone: expected here
        logging.getLogger("metrics.active_users").setLevel(logging.CRITICAL)
        gets = handlers(token)
        for get in gets.values():
            ms_per_request(get, requests // 5)  # warm-up: lazy imports, first-use caches
        ms: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        cli.log(f"instrumentation_page: {rounds} rounds x {requests} requests per variant")
        for _, order in rotations(VARIANTS, rounds):
            for variant in order:
                ms[variant].append(ms_per_request(gets[variant], requests, time.process_time))
    vs_off = [off / ours for ours, off in zip(ms["ours"], ms["off"], strict=True)]
    vs_djp = [djp / ours for ours, djp in zip(ms["ours"], ms["django-prometheus"], strict=True)]
    cost = [(ours - off) * 1000 for ours, off in zip(ms["ours"], ms["off"], strict=True)]
    djp_cost = [
        (djp - off) * 1000 for djp, off in zip(ms["django-prometheus"], ms["off"], strict=True)
    ]
    return [
        judged(
            "instrumentation on the task-list page, in-process: throughput on / off",
            f"{spread(vs_off, '{:.3f}')} (ours adds {spread(cost, '{:.0f}')} µs per page of "
            f"{spread(ms['off'])} ms CPU)",
            vs_off,
            "≥",
            TARGET_VS_OFF,
        ),
        judged(
            "instrumentation on the task-list page, in-process: throughput on / django-prometheus",
            f"{spread(vs_djp, '{:.3f}')} (django-prometheus adds {spread(djp_cost, '{:.0f}')} µs)",
            vs_djp,
            "≥",
            1.0,
            "{:.2f}",
        ),
    ]


if __name__ == "__main__":
    sys.exit(cli.main("instrumentation_page", run, __doc__.split("\n")[0]))
