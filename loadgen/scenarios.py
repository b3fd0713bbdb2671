"""What each scenario sends: a request plan per tick, independent of how it is sent.

A scenario is a function of the request's sequence number and the run's progress (0..1),
returning a `Planned` request. Faults are asked for with the API's fault-injection headers,
which the server honours only when FAULT_INJECTION_ENABLED=true.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

FAULT_STATUS = "X-Fault-Status"
FAULT_DELAY = "X-Fault-Delay-Ms"


@dataclass(frozen=True)
class Options:
    error_percent: float = 50.0
    delay_ms: int = 800


@dataclass(frozen=True)
class Planned:
    method: str
    path: str
    json: dict | None = None
    headers: dict[str, str] = field(default_factory=dict)
    authenticated: bool = True
    injected: bool = False  # the request asks the server for a fault


def _task_traffic(rng: random.Random, seq: int) -> Planned:
    """The steady mix a task-board client produces: mostly reads, some writes."""
    roll = rng.random()
    if roll < 0.55:
        return Planned("GET", "/api/v1/tasks/?page_size=20")
    if roll < 0.70:
        return Planned("GET", "/api/v1/tasks/stats/")
    if roll < 0.85:
        status = rng.choice(["TODO", "IN_PROGRESS", "DONE"])
        return Planned("GET", f"/api/v1/tasks/?status={status}&ordering=-created_at")
    priority = rng.choice(["LOW", "MEDIUM", "HIGH"])
    body = {"title": f"simulated task {seq}", "priority": priority, "due_date": "2030-01-15"}
    return Planned("POST", "/api/v1/tasks/", json=body)


def steady(rng: random.Random, seq: int, progress: float, opts: Options) -> Planned:
    return _task_traffic(rng, seq)


def error_burst(rng: random.Random, seq: int, progress: float, opts: Options) -> Planned:
    """Normal traffic with a burst of server errors in the middle 60 % of the run."""
    planned = _task_traffic(rng, seq)
    if 0.2 <= progress < 0.8 and rng.random() * 100 < opts.error_percent:
        return Planned(
            planned.method, planned.path, planned.json, {FAULT_STATUS: "503"}, injected=True
        )
    return planned


def latency_spike(rng: random.Random, seq: int, progress: float, opts: Options) -> Planned:
    """Normal traffic where, in the middle 60 % of the run, every request is slowed down."""
    planned = _task_traffic(rng, seq)
    if 0.2 <= progress < 0.8:
        headers = {FAULT_DELAY: str(opts.delay_ms)}
        return Planned(planned.method, planned.path, planned.json, headers, injected=True)
    return planned


def mixed(rng: random.Random, seq: int, progress: float, opts: Options) -> Planned:
    """Realistic noise: mostly normal, a few client errors, rare slow or failing requests."""
    roll = rng.random()
    if roll < 0.05:
        return Planned("GET", "/api/v1/tasks/not-a-task/")  # 404
    if roll < 0.08:
        return Planned("POST", "/api/v1/tasks/", json={"title": ""})  # 400
    if roll < 0.10:
        return Planned("GET", "/api/v1/tasks/", headers={FAULT_STATUS: "500"}, injected=True)
    if roll < 0.13:
        return Planned("GET", "/api/v1/tasks/", headers={FAULT_DELAY: "300"}, injected=True)
    return _task_traffic(rng, seq)


def throttle(rng: random.Random, seq: int, progress: float, opts: Options) -> Planned:
    """Anonymous requests as fast as asked: shows the anonymous rate limit (429 + Retry-After)."""
    return Planned("GET", "/api/v1/metrics/summary/", authenticated=False)


Scenario = Callable[[random.Random, int, float, Options], Planned]

SCENARIOS: dict[str, Scenario] = {
    "steady": steady,
    "error-burst": error_burst,
    "latency-spike": latency_spike,
    "mixed": mixed,
    "throttle": throttle,
}
