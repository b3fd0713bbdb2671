"""One way to wait for a condition in tests and benchmarks: poll with a deadline."""

from __future__ import annotations

import time


def wait_until(predicate, what: str = "condition", *, timeout: float = 60.0, interval: float = 0.2):
    """Poll `predicate` until it returns something truthy, and return that; fail naming
    `what` after `timeout` seconds (generous by default: the machine is shared)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
