"""procmetrics.exposition: one scrape over the folder, or over this process's registry."""

import os

from prometheus_client.core import GaugeMetricFamily

from procmetrics import exposition
from testkit.exposition import Samples, samples
from tests.procmetrics.conftest import run_worker


class Answer:
    """A scrape-time collector, like the services' Redis-backed gauges."""

    def collect(self):
        yield GaugeMetricFamily("demo_answer", "Computed at scrape time.", value=42)


def parse(body: bytes) -> Samples:
    return samples(body.decode())


def test_every_workers_counts_are_summed_with_the_scrape_time_collectors(tmp_path):
    for n in (3, 4):
        run_worker(tmp_path, n)

    scraped = parse(exposition(str(tmp_path), Answer()))

    assert scraped[("demo_requests_total", (("route", "tasks"),))] == 7
    assert scraped[("demo_latency_seconds_count", ())] == 7
    assert scraped[("demo_answer", ())] == 42
    # the dead workers were folded by the scrape itself
    assert sorted(p.name for p in tmp_path.glob("*.db")) == [
        "counter_archive.db",
        "histogram_archive.db",
    ]


def test_a_file_a_starting_worker_has_not_sized_yet_is_skipped(tmp_path):
    # prometheus_client creates a worker's file empty and extends it right after; a scrape
    # landing in between used to fail with struct.error (a 500 while workers recycle).
    run_worker(tmp_path, 2)
    (tmp_path / f"counter_{os.getpid()}.db").touch()  # a live process, file not sized yet

    scraped = parse(exposition(str(tmp_path)))

    assert scraped[("demo_requests_total", (("route", "tasks"),))] == 2


def test_a_fresh_registry_per_scrape(tmp_path):
    run_worker(tmp_path, 1)
    first = parse(exposition(str(tmp_path)))
    run_worker(tmp_path, 2)

    second = parse(exposition(str(tmp_path)))

    key = ("demo_requests_total", (("route", "tasks"),))
    assert (first[key], second[key]) == (1, 3)


def test_without_a_folder_the_process_registry_and_the_collectors(tmp_path):
    scraped = parse(exposition(None, Answer()))

    assert scraped[("demo_answer", ())] == 42
    assert any(name.startswith("python_") for name, _ in scraped)  # the default registry
