"""metrics/multiproc.py: dead workers' files fold into one archive per type, counts kept."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from metrics.multiproc import fold_dead_workers

API_DIR = Path(__file__).resolve().parents[3] / "api"

WORKER = """
import os, sys
from metrics import instruments as i
for _ in range(int(sys.argv[1])):
    i.http_requests_total.labels("GET", "api/v1/tasks/", "200").inc()
    i.http_request_duration_seconds.labels("GET", "api/v1/tasks/", "200").observe(0.3)
    i.http_requests_in_flight.inc()
print(os.getpid())
"""


def run_worker(folder: Path, requests: int) -> int:
    """A real process that records `requests` requests in `folder`, then exits; its pid."""
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(requests)],
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "PYTHONPATH": str(API_DIR)},
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def scrape(folder: Path) -> dict[tuple, float]:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))
    return {
        (s.name, s.labels.get("le")): s.value
        for metric in registry.collect()
        for s in metric.samples
    }


def test_dead_workers_fold_into_one_archive_per_type_and_keep_counts(tmp_path):
    pids = [run_worker(tmp_path, n) for n in (3, 4, 5)]
    before = scrape(tmp_path)

    fold_dead_workers(str(tmp_path))

    files = sorted(p.name for p in tmp_path.glob("*.db"))
    assert files == ["counter_archive.db", "histogram_archive.db"], files
    after = scrape(tmp_path)
    # The dead workers' live gauge is gone with them; everything else is unchanged.
    before.pop(("taskmgr_http_requests_in_flight", None))
    assert after == pytest.approx(before)
    assert after[("taskmgr_http_requests_total", None)] == 12
    assert after[("taskmgr_http_request_duration_seconds_bucket", "0.4")] == 12
    assert after[("taskmgr_http_request_duration_seconds_bucket", "0.25")] == 0
    assert all(str(pid) not in name for pid in pids for name in files)


def test_folding_again_adds_to_the_archive(tmp_path):
    run_worker(tmp_path, 2)
    fold_dead_workers(str(tmp_path))
    run_worker(tmp_path, 5)
    fold_dead_workers(str(tmp_path))

    assert len(list(tmp_path.glob("*.db"))) == 2
    assert scrape(tmp_path)[("taskmgr_http_requests_total", None)] == 7
    assert scrape(tmp_path)[("taskmgr_http_request_duration_seconds_count", None)] == 7


def test_live_processes_are_left_alone(tmp_path):
    dead_pid = run_worker(tmp_path, 1)
    # Pretend this (live) test process recorded the same: a copy of the file under our pid.
    live = tmp_path / f"counter_{os.getpid()}.db"
    shutil.copy(tmp_path / f"counter_{dead_pid}.db", live)

    fold_dead_workers(str(tmp_path))

    assert live.exists()
    assert not (tmp_path / f"counter_{dead_pid}.db").exists()
    assert scrape(tmp_path)[("taskmgr_http_requests_total", None)] == 2
