"""The text exposition: every worker's metrics (multiprocess mode) or this process's, plus
collectors evaluated at scrape time."""

from __future__ import annotations

import glob
import os

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from procmetrics.folder import fold_dead_workers, folder_lock


def multiprocess_mode() -> bool:
    """Whether prometheus_client writes this process's values to a multiprocess folder
    (its own test, made once at import: values.get_value_class)."""
    return "PROMETHEUS_MULTIPROC_DIR" in os.environ or "prometheus_multiproc_dir" in os.environ


class SizedFilesCollector:
    """MultiProcessCollector's merge over the folder minus files a starting worker has
    created but not yet sized: prometheus_client opens a new file and only then extends
    it, and reading it in between fails the whole scrape (a rare 500 while workers recycle)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def collect(self):
        files = glob.glob(os.path.join(self.path, "*.db"))
        return MultiProcessCollector.merge([f for f in files if _size(f) > 0], accumulate=True)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:  # folded away meanwhile
        return 0


def exposition(multiproc_dir: str | None, *collectors: Collector) -> bytes:
    """One scrape. With `multiproc_dir`, a fresh registry over the folder (dead workers
    folded first, read under the folder's shared lock); without, the process's default
    registry. `collectors` (values read at scrape time) are added either way."""
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        registry.register(collector)
    if not multiproc_dir:
        # Two expositions back to back are one valid text exposition.
        return generate_latest(REGISTRY) + generate_latest(registry)
    fold_dead_workers(multiproc_dir)
    registry.register(SizedFilesCollector(multiproc_dir))
    with folder_lock(multiproc_dir, exclusive=False):
        return generate_latest(registry)
