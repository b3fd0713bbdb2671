"""A notification's delivery state, as the delivery worker records it: one atomic script
that marks an attempt on the record and, once it is final, acks its outbox entry."""

from __future__ import annotations

from datetime import datetime

import redis as redis_lib

from alertstore import layout, records

# KEYS: record, outbox processing. ARGV: index, state, http status, error, at, ack entry
# ('' = none). A final state (sent/failed/skipped) is never overwritten: the first final
# answer wins, so a re-delivered entry cannot flip a sent notification back.
_MARK_NOTIFICATION = """
local raw = redis.call('GET', KEYS[1])
local state = 'missing'
if raw then
  local rec = cjson.decode(raw)
  local n = rec.notifications[tonumber(ARGV[1]) + 1]
  if not n then return redis.error_reply('record has no notification ' .. ARGV[1]) end
  if n.state == 'pending' then
    n.state = ARGV[2]
    if ARGV[2] ~= 'skipped' then n.attempts = n.attempts + 1 end
    n.last_http_status = tonumber(ARGV[3]) or cjson.null
    n.last_error = ARGV[4] ~= '' and ARGV[4] or cjson.null
    if ARGV[2] == 'sent' then
      n.sent_at = ARGV[5]
      rec.sent_to_slack = true
    end
    rec.updated_at = ARGV[5]
    redis.call('SET', KEYS[1], cjson.encode(rec))
  end
  state = n.state
end
if ARGV[6] ~= '' then redis.call('LREM', KEYS[2], 1, ARGV[6]) end
return state
"""


def mark(
    redis: redis_lib.Redis,
    alert_id: str,
    notification: int,
    state: str,
    http_status: int | None,
    error: str | None,
    at: datetime,
    *,
    ack: str | bytes | None = None,
) -> str:
    """Record one delivery attempt (state "pending" = will retry) and, with `ack`, remove
    that outbox entry from the processing list in the same step. Returns the resulting
    state ("missing" when the record is gone); a final state is never overwritten."""
    if state not in records.NOTIFICATION_STATES:
        raise ValueError(f"unknown notification state {state!r}")
    script = redis.register_script(_MARK_NOTIFICATION)
    result = script(
        keys=[layout.record_key(alert_id), layout.OUTBOX_PROCESSING_KEY],
        args=[
            notification,
            state,
            "" if http_status is None else http_status,
            error or "",
            records.isoformat(at),
            ack or "",
        ],
    )
    return layout.text(result)
