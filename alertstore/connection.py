"""The one way every process (API, bridge, delivery worker) connects to the alert store.

`REDIS_URL` alone: that server. With `REDIS_SENTINELS` (host:port list) the primary of
`REDIS_SENTINEL_MASTER` is asked of Sentinel at every (re)connect, so a failover is
followed: redis-py's SentinelConnectionPool drops a connection whose server died or turned
read-only (a demoted primary) and the next connect finds the promoted replica. The URL's
database number and password still apply to whichever server is the primary.

`Durability` is the acknowledgement rule: a write counts once `WAIT` says it reached
`replicas` replicas within `timeout_ms`. The write and its WAIT share one connection
(`pinned`, or a client of one connection: `max_connections=1`), so a server that died or
changed between them is an error, never a confirmation from its successor. For the same
reason redis-py retries no command here (a WAIT re-sent on a reconnected connection would
cover nothing written before); every caller already retries on an error of its own
(Alertmanager, the worker's loop).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

_TARGET = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):([0-9]{1,5})")
_MASTER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


BARRIER_CHANNEL = "taskmgr:replication-barrier"  # nobody subscribes; only its place counts


class NotReplicated(redis.RedisError):
    """Fewer replicas than required acknowledged a write within the bound: it may not
    survive a failover, so it must not be acknowledged (a RedisError: callers already
    treat those as "store unavailable, retry")."""


def parse_sentinels(text: str) -> tuple[tuple[str, int], ...]:
    """REDIS_SENTINELS: comma-separated host:port; empty means no Sentinel."""
    entries = [part.strip() for part in text.split(",") if part.strip()]
    parsed = []
    for entry in entries:
        match = _TARGET.fullmatch(entry)
        if not match or not 1 <= int(match[2]) <= 65535:
            raise ValueError(
                f"REDIS_SENTINELS: bad entry {entry!r} (each must be host:port, "
                "with a port between 1 and 65535)"
            )
        parsed.append((match[1], int(match[2])))
    return tuple(parsed)


def parse_master(text: str) -> str:
    if not _MASTER.fullmatch(text):
        raise ValueError(
            f"REDIS_SENTINEL_MASTER: {text!r} is not a Sentinel master name "
            "(letters, digits, '.', '_' or '-')"
        )
    return text


@dataclass(frozen=True)
class RedisTarget:
    url: str
    sentinels: tuple[tuple[str, int], ...] = ()
    master: str = ""

    @classmethod
    def from_text(cls, url: str, sentinels: str = "", master: str = "") -> RedisTarget:
        """From the variables' text; a bad value raises ValueError naming it."""
        parsed = parse_sentinels(sentinels)
        return cls(url, parsed, parse_master(master) if parsed else "")


def connect(
    target: RedisTarget,
    *,
    timeout: float,
    decode_responses: bool = False,
    max_connections: int | None = None,
) -> redis.Redis:
    """A client of the primary; `timeout` bounds every connect and reply."""
    options = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "decode_responses": decode_responses,
        "retry": Retry(NoBackoff(), 0),
        "max_connections": max_connections,
    }
    if not target.sentinels:
        return redis.Redis.from_url(target.url, **options)
    return _sentinel(target, timeout).master_for(target.master, **options, **_url_options(target))


class SentinelCachePool:
    """For Django's RedisCache (OPTIONS "pool_class"), which builds its pool with
    `pool_class.from_url(LOCATION, **OPTIONS)`: the pool of the primary Sentinel names."""

    @staticmethod
    def from_url(
        url: str, *, sentinels: tuple, master: str, socket_timeout: float, **_ignored
    ) -> redis.ConnectionPool:
        target = RedisTarget(url, tuple(sentinels), master)
        return connect(target, timeout=socket_timeout).connection_pool


def _sentinel(target: RedisTarget, timeout: float) -> Sentinel:
    sentinel_options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    return Sentinel(list(target.sentinels), sentinel_kwargs=sentinel_options)


def _url_options(target: RedisTarget) -> dict:
    """What REDIS_URL says of the primary beyond its address: database, credentials."""
    parts = urlsplit(target.url)
    database = parts.path.strip("/") or "0"
    options = {"db": int(database), "ssl": parts.scheme == "rediss"}
    if parts.username:
        options["username"] = parts.username
    if parts.password:
        options["password"] = parts.password
    return options


@contextmanager
def pinned(client: redis.Redis) -> Iterator[redis.Redis]:
    """A client on one connection of `client`'s pool for a block, returned afterwards."""
    one = redis.Redis(connection_pool=client.connection_pool, single_connection_client=True)
    try:
        yield one
    finally:
        one.close()


@dataclass(frozen=True)
class Durability:
    replicas: int = 0  # 0: nothing asked (a single server)
    timeout_ms: int = 1000

    @contextmanager
    def session(self, client: redis.Redis) -> Iterator[redis.Redis]:
        """The client to write on and `confirm` with: `client` itself when nothing is
        waited for (building a pinned client costs a webhook more than its own parsing);
        else one of its connections, pinned for the block."""
        if self.replicas == 0:
            yield client
            return
        with pinned(client) as one:
            yield one

    def confirm(self, client: redis.Redis) -> None:
        """Raise NotReplicated unless the writes made so far on `client`'s connection
        (a pinned one) reached the replicas within the bound."""
        if self.replicas == 0:
            return
        # WAIT covers this connection's own writes; a call that wrote nothing (a duplicate
        # webhook, a mark asked about again) would be confirmed at once. A PUBLISH is
        # replicated in order after everything the primary applied before it: waiting for
        # it is waiting for all of that, whichever connection wrote it.
        client.publish(BARRIER_CHANNEL, "")
        acknowledged = client.wait(self.replicas, self.timeout_ms)
        if acknowledged < self.replicas:
            raise NotReplicated(
                f"{acknowledged} of {self.replicas} replicas acknowledged the write "
                f"within {self.timeout_ms} ms"
            )
