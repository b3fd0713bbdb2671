"""Write alert transitions and delivery state; every write is one atomic Lua script.

Idempotency rules (one record per alert instance, one message per transition):

* new firing → record + "firing" message, unless the fingerprint's cooldown key exists (a
  re-fire within the cooldown after a firing message): stored with suppressed_by="cooldown"
  and a "skipped" notification;
* the same firing again (retry, HA peer, group re-send) → nothing, unless 0.9 * cooldown has
  passed since the record's last message: a "reminder" message, `reminders` + 1
  (Alertmanager's repeat_interval is the cooldown; 0.9 absorbs its timing jitter);
* resolved for a firing record → resolved, `ends_at`, a "resolved" message — "skipped" when
  nothing was ever announced for the record; resolved again, or firing for a resolved
  record (an HA peer lagging behind) → nothing;
* resolved for an unknown id → created resolved with a "resolved" message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import redis as redis_lib

from alertstore import layout, records

# One call stores a whole webhook: all its alerts or (Redis away, schema refused) none.
# KEYS: schema, outbox pending, then per alert (ALERT_KEYS): record, cooldown, and its
#       index keys: 4 with any status, 4 firing, 4 resolved (layout.index_keys)
# ARGV: schema version, now, reminder cutoff, cooldown seconds, then per alert:
#       new record JSON, status, score (starts_at), id, ends_at
# Returns {transition, enqueued kind or '', ...} per alert.
_RECORD_TRANSITIONS = """
local schema = redis.call('GET', KEYS[1])
if schema and schema ~= ARGV[1] then return redis.error_reply('SCHEMA ' .. schema) end
if not schema then redis.call('SET', KEYS[1], ARGV[1]) end
local now, cutoff, cooldown = ARGV[2], ARGV[3], ARGV[4]
local PENDING = KEYS[2]
-- an alert's keys: how many, and where its groups of 4 index keys start after its record
local ALERT_KEYS, ANY_STATUS, FIRING, RESOLVED = 14, 2, 6, 10

local function transition(k, new, status, score, id, ends_at)
  local key, cooldown_key = KEYS[k], KEYS[k + 1]
  local function indexes(group, command, ...)
    for j = k + group, k + group + 3 do redis.call(command, KEYS[j], ...) end
  end
  local enqueued = ''
  local function notify(rec, kind, send)
    table.insert(rec.notifications, {
      kind = kind, state = send and 'pending' or 'skipped', attempts = 0,
      last_http_status = cjson.null, last_error = cjson.null,
      enqueued_at = send and now or cjson.null, sent_at = cjson.null})
    if send then
      redis.call('RPUSH', PENDING, id .. ':' .. (#rec.notifications - 1))
      enqueued = kind
      if kind ~= 'resolved' then redis.call('SET', cooldown_key, now, 'EX', cooldown) end
    end
  end

  local raw = redis.call('GET', key)
  if not raw then
    local rec = cjson.decode(new)
    if status == 'resolved' then
      notify(rec, 'resolved', true)
    elseif redis.call('EXISTS', cooldown_key) == 1 then
      rec.suppressed_by = 'cooldown'
      notify(rec, 'firing', false)
    else
      notify(rec, 'firing', true)
    end
    redis.call('SET', key, cjson.encode(rec))
    indexes(ANY_STATUS, 'ZADD', score, id)
    indexes(status == 'firing' and FIRING or RESOLVED, 'ZADD', score, id)
    return 'created', enqueued
  end

  local rec = cjson.decode(raw)
  if rec.status == 'resolved' then return 'duplicate', '' end
  local last_message, announced = rec.created_at, false
  for _, n in ipairs(rec.notifications) do
    if n.enqueued_at ~= cjson.null then
      announced = true
      if n.enqueued_at > last_message then last_message = n.enqueued_at end
    end
  end
  if status == 'resolved' then
    rec.status = 'resolved'
    rec.ends_at = ends_at
    notify(rec, 'resolved', announced)
    indexes(FIRING, 'ZREM', id)
    indexes(RESOLVED, 'ZADD', score, id)
  elseif last_message <= cutoff then
    rec.reminders = rec.reminders + 1
    notify(rec, 'reminder', true)
  else
    return 'duplicate', ''
  end
  rec.updated_at = now
  redis.call('SET', key, cjson.encode(rec))
  return 'updated', enqueued
end

local reply = {}
for i = 0, (#KEYS - 2) / ALERT_KEYS - 1 do
  local a = 4 + 5 * i
  local done, kind = transition(3 + ALERT_KEYS * i,
    ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5])
  reply[#reply + 1] = done
  reply[#reply + 1] = kind
end
return reply
"""

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

REMINDER_FRACTION = 0.9


@dataclass(frozen=True)
class Outcome:
    alert_id: str
    transition: Literal["created", "updated", "duplicate"]
    enqueued: Literal["firing", "reminder", "resolved"] | None


def record_transitions(
    redis: redis_lib.Redis,
    events: Iterable[records.AlertEvent],
    *,
    now: datetime,
    cooldown_seconds: int,
) -> list[Outcome]:
    """Store every event with one script call: one round trip, all of them or none."""
    if cooldown_seconds < 1:
        raise ValueError("cooldown_seconds must be at least 1")
    cutoff = now - timedelta(seconds=cooldown_seconds * REMINDER_FRACTION)
    keys = [layout.SCHEMA_KEY, layout.OUTBOX_PENDING_KEY]
    args = [
        layout.SCHEMA_VERSION,
        records.isoformat(now),
        records.isoformat(cutoff),
        cooldown_seconds,
    ]
    ids = []
    for event in events:
        record = records.new_record(event, now)
        ids.append(record["id"])
        keys += [layout.record_key(record["id"]), layout.cooldown_key(event.fingerprint)]
        for status in (None, "firing", "resolved"):  # the script's index groups, in order
            keys += layout.index_keys(record["severity"], record["alert_type"], status)
        args += [
            records.encode(record),
            event.status,
            repr(records.epoch(event.starts_at)),
            record["id"],
            record["ends_at"] or "",
        ]
    if not ids:
        return []
    try:
        reply = redis.register_script(_RECORD_TRANSITIONS)(keys=keys, args=args)
    except redis_lib.ResponseError as exc:
        refused, _, found = str(exc).partition("SCHEMA ")
        if not refused and found:
            raise layout.schema_mismatch(found, "writer writes") from exc
        raise
    pairs = zip(reply[::2], reply[1::2], strict=True)
    return [
        Outcome(alert_id, layout.text(transition), layout.text(kind) or None)
        for alert_id, (transition, kind) in zip(ids, pairs, strict=True)
    ]


def record_transition(
    redis: redis_lib.Redis, event: records.AlertEvent, *, now: datetime, cooldown_seconds: int
) -> Outcome:
    """Store one event: create or update its record, indexes and outbox entry, atomically."""
    return record_transitions(redis, [event], now=now, cooldown_seconds=cooldown_seconds)[0]


def mark_notification(
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
