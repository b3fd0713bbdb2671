"""taskmgr_active_users: distinct authenticated users over the last 5 minutes, all processes.

Requests only add the user id to an in-process set (no I/O on the request path). A daemon
thread per process flushes that set every FLUSH_SECONDS with one ZADD into KEY (member =
user id, score = time seen). Reading the count trims members older than WINDOW_SECONDS and
counts the rest, so every worker and every API instance reports the same number. Scrapes read
that count from Redis in the background (ActiveUsersCollector), never on their own path.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Iterator

import redis
from prometheus_client.core import GaugeMetricFamily

from alertstore.layout import ACTIVE_USERS_KEY as KEY  # sorted set: user id -> last seen
from metrics.instruments import ACTIVE_USERS_HELP, ACTIVE_USERS_NAME
from taskmgr.redis_client import redis_client

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 300
FLUSH_SECONDS = 2.0
# The count moves once per flush at most; a scrape may serve one that old.
REFRESH_SECONDS = FLUSH_SECONDS


class ActiveUsersRecorder:
    """Collects user ids in memory and flushes them to Redis from a background thread."""

    def __init__(self, interval: float = FLUSH_SECONDS) -> None:
        self._interval = interval
        self._after_fork()
        # A forked worker inherits the set and the lock but not the thread.
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        # one flush at a time: a flush() call returns only after any in-flight one landed
        self._flushing = threading.Lock()
        self._seen: set[int | str] = set()
        self._thread: threading.Thread | None = None

    def record(self, user_id: int | str) -> None:
        """Remember that user_id was active; starts this process's flusher on first use."""
        with self._lock:
            self._seen.add(user_id)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="active-users-flush", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self._interval)
            self.flush()

    def flush(self) -> None:
        """Write the ids seen since the last flush; on a Redis error keep them for the next one."""
        with self._flushing:
            with self._lock:
                batch, self._seen = self._seen, set()
            if not batch:
                return
            now = time.time()
            try:
                redis_client().zadd(KEY, {str(user_id): now for user_id in batch})
            except redis.RedisError as exc:
                logger.warning("active users: flush to Redis failed, will retry: %s", exc)
                with self._lock:
                    self._seen |= batch


RECORDER = ActiveUsersRecorder()
# A worker recycled by gunicorn exits normally: don't lose the ids seen since the last flush.
atexit.register(RECORDER.flush)


def count_active_users(now: float | None = None) -> int:
    """Drop ids older than the window and count the rest (one round trip)."""
    now = time.time() if now is None else now
    pipe = redis_client().pipeline(transaction=True)
    pipe.zremrangebyscore(KEY, "-inf", f"({now - WINDOW_SECONDS}")
    pipe.zcard(KEY)
    _, count = pipe.execute()
    return count


class ActiveUsersCollector:
    """Scrape-time collector that keeps Redis off the scrape's path: it serves the last
    count read and, when that is older than REFRESH_SECONDS, has it re-read by a background
    thread (the next scrape serves the new count). Only a process's first scrape, with
    nothing to serve yet, waits for the read. A failed read omits the sample (the gap says
    Redis is away) until a read succeeds again."""

    def __init__(self, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._count: int | None = None
        self._read_at: float | None = None  # monotonic; None until the first read ends
        self._reader: threading.Thread | None = None
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        self._reader = None  # a forked worker inherits no thread

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            first = self._read_at is None
            stale = first or time.monotonic() - self._read_at >= self._refresh_seconds
            if stale and self._reader is None:
                self._reader = threading.Thread(
                    target=self._read, name="active-users-read", daemon=True
                )
                self._reader.start()
            reader = self._reader
        if first and reader is not None:
            reader.join()
        count = self._count
        if count is not None:
            yield GaugeMetricFamily(ACTIVE_USERS_NAME, ACTIVE_USERS_HELP, value=count)

    def _read(self) -> None:
        try:
            count = count_active_users()
        except redis.RedisError as exc:
            logger.warning("active users: omitted from the scrapes, Redis failed: %s", exc)
            count = None
        with self._lock:
            self._count, self._read_at, self._reader = count, time.monotonic(), None


COLLECTOR = ActiveUsersCollector()
