"""procmetrics.exposition prints exactly what stock MultiProcessCollector + generate_latest
print for the same folder: the same series, values, order and bytes, scrape after scrape,
while live workers add series, dead workers' files are folded and archives are swapped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from procmetrics import exposition, worker_exited

# A worker with every kind of metric: fractional observations (so the order of additions
# shows in the last bits), gauges in the modes the services use (livesum) and the others.
# Each line on stdin is a round of routes to record ("5 9": routes r5..r8); EOF exits.
WORKER = """
import os, random, sys
from prometheus_client import Counter, Gauge, Histogram, Summary
random.seed(os.getpid())
help_text = "Requests \\\\ by route.\\nSecond line."  # escaped by generate_latest
requests = Counter("demo_requests_total", help_text, ["route", "status"])
latency = Histogram("demo_latency_seconds", "Latency.", ["route"], buckets=(0.005, 0.1, 0.4, 1))
size = Summary("demo_size_bytes", "Sizes.", ["route"])
gauges = {
    mode: Gauge(f"demo_{mode}", f"A {mode} gauge.", ["route"], multiprocess_mode=mode)
    for mode in ("livesum", "liveall", "all", "min", "max", "sum", "livemax", "livemin")
}
def record(first, last):
    for r in range(first, last):
        route = f"r{r}" if r % 3 else 'odd"route\\\\'
        for status in ("200", "404"):
            for _ in range(random.randint(1, 4)):
                requests.labels(route, status).inc()
        latency.labels(route).observe(random.expovariate(5))
        size.labels(route).observe(random.random() * 1000)
        for gauge in gauges.values():
            gauge.labels(route).set(random.random() * 10 - 5)
for line in sys.stdin:
    record(*map(int, line.split()))
    print(os.getpid(), flush=True)
"""


class Worker:
    """A real process writing into `folder`; `record(first, last)` returns once written."""

    def __init__(self, folder: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER],
            env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.pid = self.proc.pid

    def record(self, first: int, last: int) -> Worker:
        self.proc.stdin.write(f"{first} {last}\n")
        self.proc.stdin.flush()
        assert int(self.proc.stdout.readline()) == self.pid
        return self

    def exit(self) -> int:
        self.proc.communicate(timeout=30)  # EOF on stdin: the worker exits
        assert self.proc.returncode == 0
        return self.pid


def stock(folder: Path) -> str:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))
    return generate_latest(registry).decode()


def assert_same_as_stock(folder: Path) -> str:
    ours = exposition(str(folder)).decode()  # folds dead workers first
    assert ours.splitlines() == stock(folder).splitlines()
    return ours


@pytest.fixture
def workers(tmp_path):
    started: list[Worker] = []

    def start(first: int = 0, last: int = 10) -> Worker:
        started.append(Worker(tmp_path).record(first, last))
        return started[-1]

    yield start
    for worker in started:
        if worker.proc.poll() is None:
            worker.exit()


def test_live_and_dead_workers_print_as_stock_while_files_grow(tmp_path, workers):
    live = [workers() for _ in range(3)]
    # dead workers: one reaped and marked as the services' child_exit does, two left for
    # the scrape to find and fold
    worker_exited(workers(5, 15).exit(), str(tmp_path))
    dead = [workers(0, 12).exit(), workers(2, 4).exit()]

    first = assert_same_as_stock(tmp_path)
    # folded: only the gauges that outlive their worker (non-live modes) are left of them
    left = {p.name for p in tmp_path.glob("*.db") if any(str(pid) in p.name for pid in dead)}
    assert left == {f"gauge_{m}_{pid}.db" for m in ("all", "min", "max", "sum") for pid in dead}
    assert 'route="odd\\"route\\\\"' in first

    # new keys (new routes) and new values in files already read
    live[0].record(8, 20)
    live[1].record(0, 3)
    second = assert_same_as_stock(tmp_path)
    assert 'route="r19"' in second and 'route="r19"' not in first

    # a live worker dies: its files fold into archives swapped in under the same names
    worker_exited(live[2].exit(), str(tmp_path))
    live[0].record(20, 21)
    assert_same_as_stock(tmp_path)


def test_mostrecent_gauges_print_as_stock(tmp_path):
    script = """
from prometheus_client import Gauge
for mode in ("mostrecent", "livemostrecent"):
    gauge = Gauge(f"demo_{mode}", "Last set.", ["route"], multiprocess_mode=mode)
    gauge.labels("a").set(1)
    gauge.labels("b")  # created, never set: stock prints no sample for it
"""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", script], env=env, check=True)

    assert "demo_mostrecent{" in assert_same_as_stock(tmp_path)


def test_an_empty_folder_prints_as_stock(tmp_path):
    assert assert_same_as_stock(tmp_path) == ""
