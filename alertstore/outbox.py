"""The Slack outbox as a reliable queue, and the lease that lets one worker deliver.

An entry moves atomically from pending to processing (BLMOVE) and leaves processing only
in the script that marks its notification final (`writer.mark_notification(ack=...)`) or
through `ack` when there is nothing left to send. Whatever a crashed worker left in
processing goes back to the head of pending when the next worker takes the lease, so
order is kept and nothing is lost.
"""

from __future__ import annotations

import secrets

import redis as redis_lib

from alertstore import layout

# Move processing back to the head of pending, last item first, so the order is kept.
_REQUEUE = """
local moved = 0
while redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT') do moved = moved + 1 end
return moved
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


def claim(redis: redis_lib.Redis, timeout: float) -> bytes | str | None:
    """The oldest pending entry, now in processing; None after `timeout` seconds idle."""
    return redis.blmove(
        layout.OUTBOX_PENDING_KEY, layout.OUTBOX_PROCESSING_KEY, timeout, "LEFT", "RIGHT"
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
