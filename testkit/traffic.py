"""Background HTTP traffic whose fault headers a test can switch while it runs."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests


class Traffic:
    """Sends GET `path` at `rate` req/s from a few threads until stopped.

    `set_headers()` changes the headers of the following requests (e.g. to ask for faults);
    `first_sent_with(header)` is when the first request carrying that header left.
    """

    def __init__(self, url: str, *, rate: float, concurrency: int = 8) -> None:
        self.url = url
        self.rate = rate
        self.headers: dict[str, str] = {}
        self.statuses: list[int] = []
        self._first_with: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=concurrency)
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> Traffic:
        self._thread.start()
        return self

    def set_headers(self, headers: dict[str, str]) -> None:
        with self._lock:
            self.headers = dict(headers)

    def first_sent_with(self, header: str) -> float | None:
        with self._lock:
            return self._first_with.get(header)

    def _send(self, headers: dict[str, str]) -> None:
        now = time.time()
        with self._lock:
            for name in headers:
                self._first_with.setdefault(name, now)
        try:
            status = requests.get(self.url, headers=headers, timeout=30).status_code
        except requests.RequestException:
            status = 0
        with self._lock:
            self.statuses.append(status)

    def _loop(self) -> None:
        start = time.monotonic()
        sent = 0
        while not self._stop.is_set():
            due = start + sent / self.rate
            if (delay := due - time.monotonic()) > 0:
                self._stop.wait(delay)
                continue
            with self._lock:
                headers = dict(self.headers)
            self._pool.submit(self._send, headers)
            sent += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)
