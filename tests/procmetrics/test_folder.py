"""procmetrics/folder.py: dead workers' files fold into one archive per type, counts kept."""

import os
import shutil

import pytest

from procmetrics import fold_dead_workers, worker_exited
from tests.procmetrics.conftest import run_worker, scrape

TOTAL = ("demo_requests_total", None)


def test_dead_workers_fold_into_one_archive_per_type_and_keep_counts(tmp_path):
    pids = [run_worker(tmp_path, n) for n in (3, 4, 5)]
    before = scrape(tmp_path)

    fold_dead_workers(str(tmp_path))

    files = sorted(p.name for p in tmp_path.glob("*.db"))
    assert files == ["counter_archive.db", "histogram_archive.db"], files
    after = scrape(tmp_path)
    # The dead workers' live gauge is gone with them; everything else is unchanged.
    before.pop(("demo_in_flight", None))
    assert after == pytest.approx(before)
    assert after[TOTAL] == 12
    assert after[("demo_latency_seconds_bucket", "0.4")] == 12
    assert after[("demo_latency_seconds_bucket", "0.25")] == 0
    assert all(str(pid) not in name for pid in pids for name in files)


def test_folding_again_adds_to_the_archive(tmp_path):
    run_worker(tmp_path, 2)
    fold_dead_workers(str(tmp_path))
    run_worker(tmp_path, 5)
    fold_dead_workers(str(tmp_path))

    assert len(list(tmp_path.glob("*.db"))) == 2
    assert scrape(tmp_path)[TOTAL] == 7
    assert scrape(tmp_path)[("demo_latency_seconds_count", None)] == 7


def test_live_processes_are_left_alone(tmp_path):
    dead_pid = run_worker(tmp_path, 1)
    # Pretend this (live) test process recorded the same: a copy of the file under our pid.
    live = tmp_path / f"counter_{os.getpid()}.db"
    shutil.copy(tmp_path / f"counter_{dead_pid}.db", live)

    fold_dead_workers(str(tmp_path))

    assert live.exists()
    assert not (tmp_path / f"counter_{dead_pid}.db").exists()
    assert scrape(tmp_path)[TOTAL] == 2


def test_worker_exited_folds_that_worker_at_once(tmp_path):
    # gunicorn's child_exit names the pid it reaped; no liveness guess is involved.
    pid = run_worker(tmp_path, 3)

    worker_exited(pid, str(tmp_path))

    assert sorted(p.name for p in tmp_path.glob("*.db")) == [
        "counter_archive.db",
        "histogram_archive.db",
    ]
    assert scrape(tmp_path)[TOTAL] == 3
    assert ("demo_in_flight", None) not in scrape(tmp_path)


def test_a_worker_that_died_before_sizing_its_file_folds_to_nothing(tmp_path):
    run_worker(tmp_path, 2)
    dead_pid = run_worker(tmp_path, 0)  # a pid no longer running
    (tmp_path / f"counter_{dead_pid}.db").unlink(missing_ok=True)
    (tmp_path / f"counter_{dead_pid}.db").touch()  # created, never sized

    fold_dead_workers(str(tmp_path))

    assert not (tmp_path / f"counter_{dead_pid}.db").exists()
    assert scrape(tmp_path)[TOTAL] == 2
