"""A Redis primary, its replica and three Sentinels on free loopback ports, for failover tests.

The real thing: redis-server processes and `redis-server --sentinel` (the binary Debian's
redis-sentinel package runs) watching master `MASTER`, with a down-after short enough for a
test (`DOWN_AFTER_MS`). `kill_primary()` SIGKILLs the current primary and leaves the
promotion to the sentinels; `restart_as_replica()` brings the dead server back as a replica
of the new primary (what an operator's restart does), so WAIT can be satisfied again.
Everything lives in one temp dir; `cleanup()` stops every process, also after a failure.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
from pathlib import Path

import redis

from testkit.polling import wait_until
from testkit.ports import free_port
from testkit.processes import ServerProcess
from testkit.redis_server import RedisServer

MASTER = "taskmgr"
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000


class SentinelGroup:
    def __init__(self, *, sentinels: int = 3) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="taskmgr-sentinel-"))
        self.servers: dict[int, RedisServer] = {}  # by port, current roles aside
        self.first_primary = free_port()
        self.sentinel_ports = [free_port() for _ in range(sentinels)]
        self.sentinels: list[ServerProcess] = []

    @property
    def sentinels_text(self) -> str:
        """REDIS_SENTINELS for the processes under test."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def start(self) -> SentinelGroup:
        try:
            self._server(self.first_primary)
            replica = self._server(free_port(), replica_of=self.first_primary)
            self._wait_linked(replica)
            for port in self.sentinel_ports:
                self.sentinels.append(self._sentinel(port))
        except Exception:
            self.cleanup()
            raise
        return self

    def _server(self, port: int, *, replica_of: int | None = None) -> RedisServer:
        data_dir = self.dir / f"redis-{port}"
        data_dir.mkdir(exist_ok=True)
        args = ("--replicaof", "127.0.0.1", str(replica_of)) if replica_of else ()
        server = RedisServer(port=port, data_dir=data_dir, args=args).start()
        self.servers[port] = server
        return server

    def _wait_linked(self, replica: RedisServer) -> None:
        # a full sync forks the primary for its snapshot: slow on a loaded machine
        seen: dict = {}

        def linked() -> bool:
            seen.update(replica.client().info("replication"))
            return seen.get("master_link_status") == "up"

        try:
            wait_until(linked, f"replica {replica.port} in sync", timeout=180)
        except AssertionError as exc:
            link = {k: v for k, v in seen.items() if k.startswith("master") or k == "role"}
            raise AssertionError(
                f"{exc}; its replication: {link}; {replica.process.log_tail()}"
            ) from None

    def _sentinel(self, port: int) -> ServerProcess:
        config = self.dir / f"sentinel-{port}.conf"  # Sentinel rewrites it: its own copy
        config.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {self.dir}\n"
            f"sentinel monitor {MASTER} 127.0.0.1 {self.first_primary} 2\n"
            f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {MASTER} {FAILOVER_TIMEOUT_MS}\n"
            f"sentinel parallel-syncs {MASTER} 1\n"
        )
        argv = [shutil.which("redis-server") or "redis-server", str(config), "--sentinel"]

        def knows_all() -> bool:  # the primary, its replica and the other sentinels
            try:
                client = redis.Redis(port=port, socket_timeout=0.5, decode_responses=True)
                return (
                    bool(client.sentinel_slaves(MASTER))
                    and len(client.sentinel_sentinels(MASTER)) == len(self.sentinel_ports) - 1
                )
            except redis.RedisError:
                return False

        # the last sentinel to start is ready once it saw every other one (hello messages
        # every 2 s); the earlier ones only need to answer
        ready = knows_all if len(self.sentinels) == len(self.sentinel_ports) - 1 else None
        process = ServerProcess(
            f"sentinel-{port}",
            argv,
            log_dir=self.dir,
            ready=ready or (lambda: self._answers(port)),
            timeout=30,
        )
        return process.start()

    @staticmethod
    def _answers(port: int) -> bool:
        try:
            return redis.Redis(port=port, socket_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def primary_port(self) -> int | None:
        """The primary the sentinels name now (None while none of them answers)."""
        for port in self.sentinel_ports:
            try:
                client = redis.Redis(port=port, socket_timeout=0.5, decode_responses=True)
                address = client.sentinel_get_master_addr_by_name(MASTER)
            except redis.RedisError:
                continue
            if address:
                return int(address[1])
        return None

    def kill_primary(self) -> int:
        """SIGKILL the current primary (no shutdown, no last write); its port."""
        port = self.primary_port()
        self.servers[port].process.signal(signal.SIGKILL)
        self.servers[port].process.proc.wait()
        return port

    def restart_as_replica(self, port: int) -> RedisServer:
        """Start the dead server on `port` again, replicating the current primary."""
        self.servers.pop(port).stop()  # already dead: closes its log
        primary = self.primary_port()
        # the sentinels name it before it has finished turning itself into a primary
        wait_until(
            lambda: self.servers[primary].client().info("replication")["role"] == "master",
            f"{primary} to act as the primary",
            timeout=30,
        )
        replica = self._server(port, replica_of=primary)
        self._wait_linked(replica)
        return replica

    def cleanup(self) -> None:
        for process in self.sentinels:
            process.stop()
        for server in self.servers.values():
            server.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
