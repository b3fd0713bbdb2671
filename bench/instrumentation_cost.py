"""Per-request cost of the metrics middleware, measured in-process, in microseconds.

    python -m bench.instrumentation_cost [--quick] [--requests 20000] [--rounds 15]

Runs a trivial view with and without MetricsMiddleware in interleaved rounds (so drift and
noise hit both alike) and prints the difference per request: median (min..max) over the
rounds. By default metrics are in prometheus_client's multiprocess mode (mmap files in a
temp folder), as under gunicorn; --single-process measures the in-memory mode instead.
Two cases: an anonymous request, and an authenticated one (adds the active-user record).
Target: ≤ 20 µs per request.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import shutil
import sys
import tempfile
import time

from bench import cli  # also puts api/ on the import path
from bench.report import Result, judged, spread

TARGET_US = 20.0
QUICK = {"requests": 2_000, "rounds": 3}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, default=20_000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--single-process", action="store_true")


def setup(single_process: bool) -> None:
    # Must happen before prometheus_client is imported: it picks its value class then.
    if not single_process:
        folder = tempfile.mkdtemp(prefix="taskmgr-bench-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    import django
    from django.conf import settings

    # Nothing is flushed during the bench: active users go to an unreachable Redis, quietly.
    from stack.envfiles import defaults

    settings.configure(
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes"],
        REDIS_URL="redis://127.0.0.1:1/0",
        # the request histogram's threshold bucket, as the API gets it (metrics/instruments)
        LATENCY_P95_THRESHOLD=float(defaults("api")["LATENCY_P95_THRESHOLD"]),
    )
    django.setup()
    logging.getLogger("metrics.active_users").setLevel(logging.CRITICAL)


def measure(args: argparse.Namespace) -> dict[str, list[float]]:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import ResolverMatch

    from metrics.middleware import MetricsMiddleware

    response = HttpResponse()

    def view(request):
        return response

    def make_request(user):
        request = RequestFactory().get("/api/v1/tasks/0b7a3a52-7b1e-4f57-a8a0-0c3b2b0f4d11/")
        request.resolver_match = ResolverMatch(view, (), {}, route="api/v1/tasks/<uuid:pk>/")
        request.user = user  # as DRF's authentication leaves it on the Django request
        return request

    instrumented = MetricsMiddleware(view)
    cases = {
        "anonymous": make_request(AnonymousUser()),
        "authenticated": make_request(User(pk=1, username="bench")),
    }
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, request in cases.items():
            start = time.perf_counter()
            for _ in range(args.requests):
                view(request)
            bare = time.perf_counter() - start
            start = time.perf_counter()
            for _ in range(args.requests):
                instrumented(request)
            wrapped = time.perf_counter() - start
            results[name].append((wrapped - bare) / args.requests * 1e6)
    return results


def run(args: argparse.Namespace) -> list[Result]:
    if args.quick:
        args = argparse.Namespace(**{**vars(args), **QUICK})
    setup(args.single_process)
    mode = "single-process" if args.single_process else "multiprocess (mmap)"
    cli.log(f"instrumentation_cost: {mode}, {args.rounds} rounds x {args.requests} requests")
    return [
        judged(
            f"instrumentation cost per request, in-process, {mode}, {name} (µs)",
            f"{spread(costs)} µs",
            costs,
            "≤",
            TARGET_US,
            "{:g} µs",
        )
        for name, costs in measure(args).items()
    ]


if __name__ == "__main__":
    sys.exit(cli.main("instrumentation_cost", run, __doc__.split("\n")[0], add_arguments))
