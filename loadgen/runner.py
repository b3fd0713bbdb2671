"""Send a scenario's requests at a fixed rate with a bounded number of workers.

Open loop: request i is due at start + i / rate, whatever earlier requests are doing, so a
slow server shows up as latency and missed rate rather than silently slowing the load.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from loadgen.scenarios import Options, Planned, Scenario

CONNECTION_ERROR = 0  # status recorded when no HTTP response came back


class SetupError(RuntimeError):
    """The simulator could not prepare its users; the message says why."""


@dataclass(frozen=True)
class Result:
    status: int
    seconds: float
    injected: bool


@dataclass(frozen=True)
class Plan:
    base_url: str
    scenario: Scenario
    rate: float
    duration: float
    concurrency: int
    users: int
    options: Options
    seed: int | None = None
    timeout: float = 30.0


def create_users(base_url: str, count: int, timeout: float) -> list[str]:
    """Register `count` throwaway users and return their tokens."""
    tokens = []
    run_id = uuid.uuid4().hex[:8]
    for i in range(count):
        body = {
            "username": f"loadgen-{run_id}-{i}",
            "email": f"loadgen-{run_id}-{i}@example.com",
            "password": f"Lg-{uuid.uuid4().hex}",
        }
        try:
            resp = requests.post(f"{base_url}/api/v1/auth/register/", json=body, timeout=timeout)
        except requests.RequestException as exc:
            raise SetupError(f"cannot reach the API at {base_url}: {exc}") from exc
        if resp.status_code == 429:
            wait = resp.headers.get("Retry-After", "?")
            raise SetupError(
                f"registration is rate limited (429, Retry-After {wait}s): use fewer --users "
                "or raise THROTTLE_AUTH_RATE"
            )
        if resp.status_code != 201:
            raise SetupError(f"registering a user failed: {resp.status_code} {resp.text[:200]}")
        tokens.append(resp.json()["token"])
    return tokens


def run(plan: Plan, on_progress: Callable[[int, int, list[Result]], None] | None = None):
    """Run the plan; returns (results, elapsed seconds)."""
    tokens = create_users(plan.base_url, plan.users, plan.timeout)
    total = max(1, round(plan.rate * plan.duration))
    rng = random.Random(plan.seed)
    planned = [plan.scenario(rng, i, i / total, plan.options) for i in range(total)]
    results: list[Result] = []
    lock = threading.Lock()
    local = threading.local()

    def send(i: int, item: Planned) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        headers = dict(item.headers)
        if item.authenticated:
            headers["Authorization"] = f"Token {tokens[i % len(tokens)]}"
        started = time.perf_counter()
        try:
            resp = session.request(
                item.method,
                plan.base_url + item.path,
                json=item.json,
                headers=headers,
                timeout=plan.timeout,
            )
            status = resp.status_code
        except requests.RequestException:
            status = CONNECTION_ERROR
        result = Result(status, time.perf_counter() - started, item.injected)
        with lock:
            results.append(result)

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=plan.concurrency) as pool:
        for i, item in enumerate(planned):
            due = start + i / plan.rate
            while (delay := due - time.monotonic()) > 0:
                time.sleep(min(delay, 0.25))
                if on_progress:
                    with lock:
                        on_progress(i, total, list(results))
            pool.submit(send, i, item)
    if on_progress:
        on_progress(total, total, results)
    return results, time.monotonic() - start
