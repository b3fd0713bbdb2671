"""A notification's delivery state, as the delivery worker records it: one atomic script
that marks an attempt on the record — its ledger entry, the record's `delivery` state and
indexes, its time to page — and, once it is final, acks its outbox entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import redis as redis_lib

from alertstore import layout, records

# KEYS: record, outbox processing (its indexes: layout's `reindex`). ARGV: index, state,
# http status, error, at (ISO), ack entry ('' = none), at (epoch), retry-after obeyed ('' =
# none), id. A final state (sent/failed/skipped) is never overwritten: the first final
# answer wins, so a re-delivered entry cannot flip a sent notification back. Returns {state,
# time to page set by this call or ''}.
_MARK_NOTIFICATION = (
    layout.LUA_REINDEX
    + records.LUA_DELIVERY_OF
    + """
local OUTCOME = {pending = 'retry', sent = 'sent', failed = 'failed'}
local raw = redis.call('GET', KEYS[1])
local state, paged = 'missing', ''
if raw then
  local rec = cjson.decode(raw)
  local n = rec.notifications[tonumber(ARGV[1]) + 1]
  if not n then return redis.error_reply('record has no notification ' .. ARGV[1]) end
  if n.state == 'pending' then
    local http_status = tonumber(ARGV[3]) or cjson.null
    local err = ARGV[4] ~= '' and ARGV[4] or cjson.null
    n.state = ARGV[2]
    if ARGV[2] ~= 'skipped' then
      n.attempts = n.attempts + 1
      if n.ledger == nil or n.ledger == cjson.null then n.ledger = {} end
      table.insert(n.ledger, {at = ARGV[5], http_status = http_status,
        retry_after_seconds = tonumber(ARGV[8]) or cjson.null, outcome = OUTCOME[ARGV[2]],
        error = err})
      while #n.ledger > """
    + str(records.MAX_LEDGER)
    + """ do table.remove(n.ledger, 1) end
    end
    n.last_http_status = http_status
    n.last_error = err
    local score = redis.call('ZSCORE', INDEX_KEY, ARGV[9])
    if ARGV[2] == 'sent' then
      n.sent_at = ARGV[5]
      rec.sent_to_slack = true
      local unpaged = rec.time_to_page_seconds == nil or rec.time_to_page_seconds == cjson.null
      if n.kind == 'firing' and unpaged then
        rec.time_to_page_seconds = math.max(0, tonumber(ARGV[7]) - tonumber(score))
        paged = tostring(rec.time_to_page_seconds)
      end
    end
    local before = rec.delivery
    rec.delivery = delivery_of(rec)
    reindex(rec, ARGV[9], score, rec.status, before, rec.status, rec.delivery)
    rec.updated_at = ARGV[5]
    redis.call('SET', KEYS[1], cjson.encode(rec))
  end
  state = n.state
end
if ARGV[6] ~= '' then redis.call('LREM', KEYS[2], 1, ARGV[6]) end
return {state, paged}
"""
)


@dataclass(frozen=True)
class Marked:
    """What a mark left: the notification's state ("missing" when the record is gone) and
    the record's time to page when this mark set it (the first firing message sent)."""

    state: str
    time_to_page_seconds: float | None = None


def mark(
    redis: redis_lib.Redis,
    alert_id: str,
    notification: int,
    state: str,
    http_status: int | None,
    error: str | None,
    at: datetime,
    *,
    retry_after_seconds: float | None = None,
    ack: str | bytes | None = None,
) -> Marked:
    """Record one delivery attempt (state "pending" = will retry; "skipped" is no attempt)
    in the notification's ledger, with the Retry-After wait obeyed, and, with `ack`, remove
    that outbox entry from the processing list in the same step. A final state is never
    overwritten."""
    if state not in records.NOTIFICATION_STATES:
        raise ValueError(f"unknown notification state {state!r}")
    script = redis.register_script(_MARK_NOTIFICATION)
    result_state, paged = script(
        keys=[
            layout.record_key(alert_id),
            layout.OUTBOX_PROCESSING_KEY,
        ],
        args=[
            notification,
            state,
            "" if http_status is None else http_status,
            error or "",
            records.isoformat(at),
            ack or "",
            repr(records.epoch(at)),
            "" if retry_after_seconds is None else repr(float(retry_after_seconds)),
            alert_id,
        ],
    )
    paged = layout.text(paged)
    return Marked(layout.text(result_state), float(paged) if paged else None)
