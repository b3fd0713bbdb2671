"""A benchmark's scratch space: a temporary folder with a private redis-server in it.

    with workspace("ingest") as (tmp, redis, stack):
        stack.enter_context(server.process)

Servers entered into `stack` stop first, then Redis, then the folder goes: the order every
benchmark needs, written once.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import NamedTuple

from testkit.redis_server import RedisServer


class Workspace(NamedTuple):
    tmp: Path
    redis: RedisServer
    stack: ExitStack


@contextmanager
def workspace(name: str) -> Iterator[Workspace]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp, ExitStack() as stack:
        tmp = Path(tmp)
        redis = RedisServer(data_dir=tmp).start()
        stack.callback(redis.cleanup)
        yield Workspace(tmp, redis, stack)
