"""The text exposition: every worker's metrics (multiprocess mode) or this process's, plus
collectors evaluated at scrape time."""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.registry import Collector

from procmetrics.folder import fold_dead_workers, folder_lock
from procmetrics.merged import FolderExposition

# One per folder for the life of the process: it keeps what the folder's keys decode to.
_FOLDERS: dict[str, FolderExposition] = {}


def multiprocess_mode() -> bool:
    """Whether prometheus_client writes this process's values to a multiprocess folder
    (its own test, made once at import: values.get_value_class)."""
    return "PROMETHEUS_MULTIPROC_DIR" in os.environ or "prometheus_multiproc_dir" in os.environ


def exposition(multiproc_dir: str | None, *collectors: Collector) -> bytes:
    """One scrape. With `multiproc_dir`, the merge of the folder's files (dead workers
    folded first, read under the folder's shared lock) as MultiProcessCollector +
    generate_latest would print it; without, the process's default registry. The
    `collectors` (values read at scrape time) come first either way."""
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        registry.register(collector)
    # Two expositions back to back are one valid text exposition.
    if not multiproc_dir:
        return generate_latest(REGISTRY) + generate_latest(registry)
    computed = generate_latest(registry)
    fold_dead_workers(multiproc_dir)
    folder = _FOLDERS.get(multiproc_dir) or _FOLDERS.setdefault(
        multiproc_dir, FolderExposition(multiproc_dir)
    )
    with folder_lock(multiproc_dir, exclusive=False):
        return computed + folder()
