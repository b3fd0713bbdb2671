"""Start a real server process, wait until it answers, and always stop it.

Every server a test starts goes through `ServerProcess`: its output goes to a log file in
the test's temp dir, and when it fails to come up the log tail is part of the error.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import requests


class ServerError(RuntimeError):
    pass


class ServerProcess:
    """One child process; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        log_dir: Path,
        env: dict[str, str] | None = None,
        cwd: Path | str | None = None,
        ready_url: str | None = None,
        ready: Callable[[], bool] | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.ready_url = ready_url
        self.ready_check = ready
        self.timeout = timeout
        self.log_path = Path(log_dir) / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def children(self) -> set[int]:
        """pids of the process' live children (gunicorn's workers, for a master)."""
        pid = self.proc.pid
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}

    def start(self) -> ServerProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready()
        return self

    def _is_ready(self) -> bool:
        if self.ready_check is not None:
            return self.ready_check()
        if self.ready_url is not None:
            try:
                # not 1 s: a fresh gunicorn worker's first answer (Django imported lazily)
                # takes longer than that on a loaded machine, and with --max-requests 1
                # every probe meets a fresh worker
                return requests.get(self.ready_url, timeout=5).status_code < 500
            except requests.RequestException:
                return False
        return True

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            if self._is_ready():
                return
            time.sleep(0.05)
        self.stop()
        raise ServerError(f"{self.name} not ready after {self.timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def signal(self, sig: int) -> None:
        """Signal the whole process group (gunicorn's workers too)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.proc.wait()
        else:
            # the leader is gone; make sure no orphaned children linger
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self._log.close()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
