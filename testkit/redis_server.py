"""A private redis-server for tests: free port, temp dir, never the shared 6379."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import redis

from testkit.ports import free_port
from testkit.processes import ServerProcess


class RedisServer:
    def __init__(
        self,
        *,
        appendonly: bool = False,
        port: int | None = None,
        data_dir: Path | None = None,
        args: tuple[str, ...] = (),  # more redis-server options, e.g. ("--replicaof", ...)
    ):
        self.port = port or free_port()
        self.dir = Path(data_dir or tempfile.mkdtemp(prefix="taskmgr-redis-"))
        self._owns_dir = data_dir is None
        self.url = f"redis://127.0.0.1:{self.port}/0"
        argv = [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.dir),
            "--save",
            "",
            "--appendonly",
            "yes" if appendonly else "no",
            *args,
        ]
        self.process = ServerProcess(
            f"redis-{self.port}", argv, log_dir=self.dir, ready=self._ping, timeout=15
        )

    def _ping(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(port=self.port, db=db)

    def start(self) -> RedisServer:
        self.process.start()
        return self

    def stop(self) -> None:
        self.process.stop()

    def cleanup(self) -> None:
        self.stop()
        if self._owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
