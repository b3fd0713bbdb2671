"""Bookkeeping of the PROMETHEUS_MULTIPROC_DIR folder shared by gunicorn workers.

prometheus_client keeps one mmap file per worker and metric type (`counter_<pid>.db`,
`histogram_<pid>.db`, `gauge_livesum_<pid>.db`). Its `mark_process_dead` removes only the
live-gauge files, so as workers recycle (max_requests, crashes) the counter and histogram
files of dead workers pile up and every scrape reads them all. We fold a dead worker's
files into one archive file per type (`counter_archive.db`, ...), keeping its counts, so
the folder holds at most: live workers' files + one archive per type.

Folding runs under an exclusive flock on LOCK_NAME and scrapes read under a shared one,
so a scrape never sees a worker both in the archive and in its own file. Folding happens
at every scrape (dead = no such process) and, when a gunicorn.conf.py calls
`worker_exited` from child_exit, as soon as a worker is reaped.
"""

from __future__ import annotations

import fcntl
import glob
import os
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import mark_process_dead

LOCK_NAME = ".fold.lock"
ARCHIVE_ID = "archive"
# Types whose per-worker values simply add up (histogram buckets are stored per bucket,
# not cumulatively). Gauges are live* modes and vanish with their worker instead.
ADDITIVE_TYPES = ("counter", "histogram", "summary")


@contextmanager
def folder_lock(path: str, *, exclusive: bool) -> Iterator[None]:
    with open(os.path.join(path, LOCK_NAME), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pid_of(filename: str) -> int | None:
    stem = os.path.basename(filename).removesuffix(".db")
    ident = stem.rsplit("_", 1)[-1]
    return int(ident) if ident.isdigit() else None


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _fold(path: str, typ: str, files: list[str]) -> None:
    """Add `files` into the archive of `typ` and delete them. Caller holds the lock."""
    archive = os.path.join(path, f"{typ}_{ARCHIVE_ID}.db")
    totals: dict[str, float] = defaultdict(float)
    for name in [archive, *files] if os.path.exists(archive) else files:
        if os.path.getsize(name) == 0:
            continue  # a worker that died before sizing its file recorded nothing
        for key, value, _timestamp, _pos in MmapedDict.read_all_values_from_file(name):
            totals[key] += value
    # Build the new archive aside (no .db suffix, so scrapes ignore it) and swap it in.
    tmp = archive + ".tmp"
    if os.path.exists(tmp):
        os.remove(tmp)
    merged = MmapedDict(tmp)
    try:
        for key, value in totals.items():
            merged.write_value(key, value, 0.0)
    finally:
        merged.close()
    os.replace(tmp, archive)
    for name in files:
        os.remove(name)


def fold_dead_workers(path: str, pids: set[int] | None = None) -> None:
    """Fold the files of `pids` (default: every pid that is no longer running)."""
    with folder_lock(path, exclusive=True):
        dead: set[int] = set(pids or ())
        if pids is None:
            found = {_pid_of(name) for name in glob.glob(os.path.join(path, "*.db"))}
            dead = {pid for pid in found if pid is not None and not _is_alive(pid)}
        for pid in dead:
            mark_process_dead(pid, path)
        for typ in ADDITIVE_TYPES:
            files = [os.path.join(path, f"{typ}_{pid}.db") for pid in dead]
            files = [name for name in files if os.path.exists(name)]
            if files:
                _fold(path, typ, files)


def worker_exited(pid: int, path: str) -> None:
    """For gunicorn's child_exit: drop the worker's live gauges and fold its counts now."""
    fold_dead_workers(path, {pid})
