"""Real multiprocess files, written by real processes that then exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

# A worker as the services have them: a labelled counter, a histogram, a livesum gauge.
WORKER = """
import os, sys
from prometheus_client import Counter, Gauge, Histogram
requests = Counter("demo_requests_total", "Requests.", ["route"])
latency = Histogram("demo_latency_seconds", "Latency.", buckets=(0.25, 0.4, 1))
in_flight = Gauge("demo_in_flight", "In flight.", multiprocess_mode="livesum")
for _ in range(int(sys.argv[1])):
    requests.labels("tasks").inc()
    latency.observe(0.3)
    in_flight.inc()
print(os.getpid())
"""


def run_worker(folder: Path, requests: int) -> int:
    """A real process that records `requests` requests in `folder`, then exits; its pid."""
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(requests)],
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)},
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def scrape(folder: Path) -> dict[tuple, float]:
    """prometheus_client's own reading of the folder: {(sample name, le): value}."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))
    return {
        (s.name, s.labels.get("le")): s.value
        for metric in registry.collect()
        for s in metric.samples
    }


def pids_with_files(folder: Path) -> set[int]:
    """The pids that own a file in a multiprocess folder (archives have no pid)."""
    stems = (p.name.removesuffix(".db").rsplit("_", 1)[-1] for p in folder.glob("*.db"))
    return {int(stem) for stem in stems if stem.isdigit()}
