"""The Slack outbox as a reliable queue, and the lease that lets one worker deliver.

An entry moves from pending to processing only in `claim`, one script that first checks
the caller's lease token: a worker that lost its lease (paused past it, partitioned) can
no longer take an entry it will never deliver. It leaves processing only in the script
that marks its notification final (`notifications.mark(ack=...)`) or through `ack`
when there is nothing left to send. The holder claims only when it has nothing in flight,
so whatever `claim` finds in processing was left by a dead or lapsed holder: it goes back
to the head of pending in the same script, whenever it is found (not only when the lease
changes hands), so order is kept and nothing is lost.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import redis as redis_lib

from alertstore import layout

# Move processing back to the head of pending, last item first, so the order is kept.
_REQUEUE = """
local moved = 0
while redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT') do moved = moved + 1 end
return moved
"""

# KEYS: lease, processing, pending. ARGV: our lease token. Returns false when the lease is
# not ours; else {entries re-queued from processing, the claimed entry or false}.
_CLAIM = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local moved = 0
while redis.call('LMOVE', KEYS[2], KEYS[3], 'RIGHT', 'LEFT') do moved = moved + 1 end
return {moved, redis.call('LMOVE', KEYS[3], KEYS[2], 'LEFT', 'RIGHT')}
"""

# Extend or drop the lease only while we still hold it (ARGV[1] = our token).
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class Claim:
    entry: bytes | str | None  # the oldest pending entry, now in processing; None: empty
    requeued: int  # entries a dead or lapsed holder had left in processing


def claim(redis: redis_lib.Redis, token: str) -> Claim | None:
    """Take the oldest pending entry under lease `token`, first re-queueing whatever is in
    processing (call it only with nothing in flight); None when the lease is not ours."""
    reply = redis.register_script(_CLAIM)(
        keys=[layout.OUTBOX_LEASE_KEY, layout.OUTBOX_PROCESSING_KEY, layout.OUTBOX_PENDING_KEY],
        args=[token],
    )
    if reply is None:
        return None
    requeued, entry = reply
    return Claim(entry, int(requeued))


def wait_for_pending(redis: redis_lib.Redis, timeout: float) -> bool:
    """Block until pending holds an entry (True) or `timeout` seconds pass (False), moving
    nothing: BLMOVE from the head back to the head is a blocking peek. Claiming stays in
    `claim`, which a blocking command could not do under the lease check."""
    return (
        redis.blmove(layout.OUTBOX_PENDING_KEY, layout.OUTBOX_PENDING_KEY, timeout, "LEFT", "LEFT")
        is not None
    )


def ack(redis: redis_lib.Redis, entry: bytes | str) -> None:
    """Drop an entry that needs no (more) sending."""
    redis.lrem(layout.OUTBOX_PROCESSING_KEY, 1, entry)


def requeue_processing(redis: redis_lib.Redis) -> int:
    """Put every entry left in processing back at the head of pending; how many moved."""
    script = redis.register_script(_REQUEUE)
    return script(keys=[layout.OUTBOX_PROCESSING_KEY, layout.OUTBOX_PENDING_KEY])


def depth(redis: redis_lib.Redis) -> int:
    """Entries not yet delivered: pending plus the one in delivery."""
    pipe = redis.pipeline(transaction=False)
    pipe.llen(layout.OUTBOX_PENDING_KEY)
    pipe.llen(layout.OUTBOX_PROCESSING_KEY)
    return sum(pipe.execute())


class Lease:
    """Who may deliver: SET NX PX with a random token, renewed by its holder."""

    def __init__(self, redis: redis_lib.Redis, seconds: float) -> None:
        self.redis = redis
        self.millis = max(1, int(seconds * 1000))
        self.token = secrets.token_hex(16)

    def acquire(self) -> bool:
        """Take the lease if it is free (or already ours); True when we hold it."""
        if self.redis.set(layout.OUTBOX_LEASE_KEY, self.token, nx=True, px=self.millis):
            return True
        return self.renew()

    def renew(self) -> bool:
        script = self.redis.register_script(_RENEW)
        return bool(script(keys=[layout.OUTBOX_LEASE_KEY], args=[self.token, self.millis]))

    def release(self) -> None:
        script = self.redis.register_script(_RELEASE)
        script(keys=[layout.OUTBOX_LEASE_KEY], args=[self.token])
