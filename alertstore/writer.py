"""Write alert transitions; every write is one atomic Lua script.

What an event does to a record, and which Slack message it owes, is `alertstore.lifecycle`'s
table: the transition script below is a generic interpreter of it (the table is rendered
into the script), so there is no second copy of the rules here. This module owns only the
storage side: the record JSON, its indexes, the fingerprint's state and the outbox.
A notification's delivery state is `alertstore.notifications`'.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import redis as redis_lib
from redis.commands.core import Script

from alertstore import layout, lifecycle, records

# layout's record identity, shared by the transition script and `statuses_of`: a webhook's
# startsAt within the tolerance of its fingerprint's latest instance's, and before that
# instance's resolve, is that instance (another replica's); returns the id and score the
# event applies to. Needs locals `tolerance` and `record_prefix`.
_LUA_INSTANCE_OF = """
local function instance_of(id, score, latest, latest_score, resolved_at)
  if latest and latest ~= id
      and math.abs(tonumber(score) - tonumber(latest_score)) <= tolerance
      and not (resolved_at and tonumber(score) >= tonumber(resolved_at))
      and redis.call('EXISTS', record_prefix .. latest) == 1 then
    return latest, latest_score
  end
  return id, score
end
"""

# One call applies a batch of events: all of them or (Redis away, schema refused) none.
# KEYS: schema, outbox pending, then per item (ITEM_KEYS): record, fingerprint state (the
#       record's indexes the script names itself: layout's `reindex`)
# ARGV: schema version, now (ISO), now (epoch), reminder cutoff (ISO), flap window seconds,
#       record key prefix, startsAt tolerance seconds (layout: record identity), hold
#       reopens ('1': a firing that would reopen a resolved record is not applied, its
#       transition is 'held', for the caller to confirm; '' applies it), then per
#       item (ITEM_ARGS): event, new record JSON ('' unless a webhook event), score
#       (starts_at epoch), id, ends_at ISO, ends_at epoch, mute by, facts (JSON object of
#       record fields measured for it, set on create and resolve)
# Returns {id, transition, enqueued kind or '', superseded id or '', ...} per item: the id
# is the record the event applied to, which is the fingerprint's latest when the event's
# startsAt is another replica's for that instance.
_APPLY_EVENTS = (
    """
local schema = redis.call('GET', KEYS[1])
if schema and schema ~= ARGV[1] then return redis.error_reply('SCHEMA ' .. schema) end
if not schema then redis.call('SET', KEYS[1], ARGV[1]) end
local now, now_epoch, cutoff = ARGV[2], tonumber(ARGV[3]), ARGV[4]
local window, record_prefix, tolerance = tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local hold_reopens = ARGV[8] == '1'
local PENDING = KEYS[2]
local ITEM_KEYS, ITEM_ARGS = 2, 8
local HELD = {effect = 'ignore'}
local RESOLVE_FIELDS = {"""
    + ", ".join(json.dumps(name) for name in records.RESOLVE_FIELDS)
    + "}"
    + layout.LUA_REINDEX
    + records.LUA_DELIVERY_OF
    + _LUA_INSTANCE_OF
    + """local RULES = """
    + lifecycle.lua_rules()
    + """

local function last_message(rec)
  local last, announced = rec.created_at, false
  for _, n in ipairs(rec.notifications) do
    if n.enqueued_at ~= cjson.null then
      announced = true
      if n.enqueued_at > last then last = n.enqueued_at end
    end
  end
  return last, announced
end

local function muted_as(rec)
  if rec.suppressed_by == nil or rec.suppressed_by == cjson.null then return '' end
  return rec.suppressed_by
end

-- lifecycle's conditions, by name
local WHEN = {
  current = function(c) return not c.stale end,
  stale = function(c) return c.stale end,
  due = function(c) return last_message(c.rec) <= cutoff end,
  not_due = function(c) return last_message(c.rec) > cutoff end,
  announced = function(c) return select(2, last_message(c.rec)) end,
  unannounced = function(c) return not select(2, last_message(c.rec)) end,
  changed = function(c) return muted_as(c.rec) ~= c.by end,
  unchanged = function(c) return muted_as(c.rec) == c.by end,
}

-- Apply one event to the record at `key` as its row says.
-- Returns transition, enqueued kind, the row.
local function step(key, id, event, new, score, ends_at, ends_epoch, by, stale, flaps,
                    facts)
  local raw = redis.call('GET', key)
  local rec = raw and cjson.decode(raw)
  local c = {rec = rec, stale = stale, by = by}
  local rule
  for _, row in ipairs(RULES((rec and rec.status or 'absent') .. '|' .. event)) do
    if row.when == '' or WHEN[row.when](c) then rule = row break end
  end
  if rule.effect == 'ignore' then return 'duplicate', '', rule end
  if rule.effect == 'reopen' and hold_reopens then return 'held', '', HELD end
  local transition = 'updated'
  local before_status, before_delivery = rec and rec.status, rec and rec.delivery
  if rule.effect ~= 'create' then  -- keep the exact score (the record's string is cut to ms)
    score = redis.call('ZSCORE', INDEX_KEY, id) or score
  end
  if rule.effect == 'create' then
    rec, transition = cjson.decode(new), 'created'
    rec.flaps = rule.status == 'firing' and flaps or 0
  elseif rule.effect == 'remind' then
    rec.reminders = rec.reminders + 1
  elseif rule.effect == 'mute' then
    rec.suppressed_by = by ~= '' and by or cjson.null
  end
  rec.status = rule.status
  if (rule.effect == 'create' or rule.effect == 'resolve') and facts ~= '' then
    for name, value in pairs(cjson.decode(facts)) do rec[name] = value end
  end
  if rule.status == 'resolved' then
    if rule.effect ~= 'create' or rec.ends_at == cjson.null then
      rec.ends_at = ends_at ~= '' and ends_at or now
    end
    rec.resolution = rule.resolution
    if rule.effect == 'create' or rule.effect == 'resolve' then
      local ended = ends_at ~= '' and tonumber(ends_epoch) or now_epoch
      rec.duration_seconds = math.max(0, ended - tonumber(score))
    end
  else
    rec.ends_at, rec.resolution = cjson.null, cjson.null
    if rule.effect == 'reopen' then
      for _, name in ipairs(RESOLVE_FIELDS) do rec[name] = cjson.null end
    end
  end
  local enqueued = ''
  if rule.notify ~= '' then
    table.insert(rec.notifications, {
      kind = rule.notify, state = rule.send and 'pending' or 'skipped', attempts = 0,
      last_http_status = cjson.null, last_error = cjson.null,
      enqueued_at = rule.send and now or cjson.null, sent_at = cjson.null, ledger = {}})
    if rule.send then
      redis.call('RPUSH', PENDING, id .. ':' .. (#rec.notifications - 1))
      enqueued = rule.notify
    end
  end
  rec.delivery = delivery_of(rec)
  reindex(rec, id, score, before_status, before_delivery, rec.status, rec.delivery)
  rec.updated_at = now
  redis.call('SET', key, cjson.encode(rec))
  return transition, enqueued, rule
end

local reply = {}
for i = 0, (#KEYS - 2) / ITEM_KEYS - 1 do
  local k, a = 3 + ITEM_KEYS * i, 8 + ITEM_ARGS * i
  local event, new, score, id = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local ends_at, ends_epoch, by = ARGV[a + 5], tonumber(ARGV[a + 6]), ARGV[a + 7]
  local facts = ARGV[a + 8]
  local fp, key = KEYS[k + 1], KEYS[k]
  local latest, latest_score, resolved_at, flaps = unpack(
    redis.call('HMGET', fp, 'latest', 'score', 'resolved_at', 'flaps'))
  local webhook = event == 'firing' or event == 'resolved'
  if webhook then
    id, score = instance_of(id, score, latest, latest_score, resolved_at)
    key = record_prefix .. id
  end
  local stale = latest_score and tonumber(score) < tonumber(latest_score) or false
  local superseded = ''
  if webhook and not stale and latest ~= id then
    if latest then  -- a newer instance: the previous one is gone (lifecycle docstring)
      local _, _, rule = step(record_prefix .. latest, latest, 'gone', '', latest_score,
        '', nil, '', false, 0, '')
      if rule.effect == 'resolve' then superseded, resolved_at = latest, now_epoch end
    end
    redis.call('HSET', fp, 'latest', id, 'score', score)
    latest = id
  end
  local refire = resolved_at and tonumber(score) - tonumber(resolved_at) <= window
  local transition, kind, rule = step(key, id, event, new, score, ends_at, ends_epoch,
    by, stale, refire and (tonumber(flaps) or 0) + 1 or 0, facts)
  if latest == id and rule.effect ~= 'ignore' then  -- the fingerprint follows its latest
    if rule.status == 'resolved' then
      redis.call('HSET', fp, 'resolved_at', ends_epoch or now_epoch)
    elseif rule.effect == 'create' then
      redis.call('HSET', fp, 'flaps', refire and (tonumber(flaps) or 0) + 1 or 0)
      redis.call('HDEL', fp, 'resolved_at')
    elseif rule.effect == 'reopen' then
      redis.call('HDEL', fp, 'resolved_at')
    end
  end
  reply[#reply + 1] = id
  reply[#reply + 1] = transition
  reply[#reply + 1] = kind
  reply[#reply + 1] = superseded
end
return reply
"""
)

# registered once (bytes: no client's encoder needed): its SHA1 is not recomputed per call
_APPLY = Script(None, _APPLY_EVENTS.encode())


@dataclass(frozen=True)
class Outcome:
    """What one event did: `superseded` is the older instance it resolved (lifecycle)."""

    alert_id: str
    transition: Literal["created", "updated", "duplicate", "held"]
    enqueued: Literal["firing", "reminder", "resolved"] | None
    superseded: str | None = None


@dataclass(frozen=True)
class _Item:
    """One event for the script: the record's immutable parts, and the event's."""

    alert_id: str
    fingerprint: str
    event: str
    score: str
    new: str = ""
    ends_at: datetime | None = None
    by: str = ""
    facts: str = ""  # JSON object of measured record fields (records.FACT_FIELDS), or ''


def _apply(
    redis: redis_lib.Redis,
    items: list[_Item],
    *,
    now: datetime,
    cooldown_seconds: int,
    flap_window_seconds: int,
    starts_at_tolerance_seconds: float,
    hold_reopens: bool = False,
) -> list[Outcome]:
    if cooldown_seconds < 1:
        raise ValueError("cooldown_seconds must be at least 1")
    if flap_window_seconds < 0:
        raise ValueError("flap_window_seconds must not be negative")
    if starts_at_tolerance_seconds < 0:
        raise ValueError("starts_at_tolerance_seconds must not be negative")
    if not items:
        return []
    cutoff = now - timedelta(seconds=cooldown_seconds * lifecycle.REMINDER_FRACTION)
    keys = [layout.SCHEMA_KEY, layout.OUTBOX_PENDING_KEY]
    args = [
        layout.SCHEMA_VERSION,
        records.isoformat(now),
        repr(records.epoch(now)),
        records.isoformat(cutoff),
        flap_window_seconds,
        layout.RECORD_KEY_PREFIX,
        repr(float(starts_at_tolerance_seconds)),
        "1" if hold_reopens else "",
    ]
    for item in items:
        keys += [layout.record_key(item.alert_id), layout.fingerprint_key(item.fingerprint)]
        ends_at = item.ends_at or now
        args += [
            item.event,
            item.new,
            item.score,
            item.alert_id,
            records.isoformat(ends_at) if item.event == "resolved" else "",
            repr(records.epoch(ends_at)),
            item.by,
            item.facts,
        ]
    try:
        reply = _APPLY(keys=keys, args=args, client=redis)
    except redis_lib.ResponseError as exc:
        refused, _, found = str(exc).partition("SCHEMA ")
        if not refused and found:
            raise layout.schema_mismatch(found, "writer writes") from exc
        raise
    replies = zip(reply[::4], reply[1::4], reply[2::4], reply[3::4], strict=True)
    return [
        Outcome(
            layout.text(alert_id),
            layout.text(transition),
            layout.text(kind) or None,
            layout.text(superseded) or None,
        )
        for alert_id, transition, kind, superseded in replies
    ]


def _facts(event: records.AlertEvent) -> str:
    """The event's measured fields as the script sets them ('' when none)."""
    return _encode_facts(event.facts)


def _encode_facts(measured: dict) -> str:
    facts = {name: v for name, v in measured.items() if name in records.FACT_FIELDS}
    if not facts:
        return ""
    for name in ("resolved_value", "peak_value"):  # stored exact (records.encode)
        if facts.get(name) is not None:
            facts[name] = records.exact(facts[name])
    return json.dumps(facts, separators=(",", ":"), ensure_ascii=False)


def record_transitions(
    redis: redis_lib.Redis,
    events: Iterable[records.AlertEvent],
    *,
    now: datetime,
    cooldown_seconds: int,
    flap_window_seconds: int,
    starts_at_tolerance_seconds: float = 0,
    hold_reopens: bool = False,
) -> list[Outcome]:
    """Store every webhook event with one script call: one round trip, all of them or none.
    Applied oldest instance first (a group can carry an instance's resolve and its
    successor's firing, in any order), outcomes in the order given. An event whose startsAt
    is within `starts_at_tolerance_seconds` of its fingerprint's latest instance is that
    instance (layout: record identity; 0 = the exact startsAt, one Prometheus). With
    `hold_reopens`, a firing that would reopen a resolved record changes nothing and its
    outcome is "held": the caller confirms it (the webhook asks Prometheus) and stores the
    confirmed ones again without it."""
    events = list(events)
    order = sorted(range(len(events)), key=lambda i: events[i].starts_at)
    items = []
    for event in (events[i] for i in order):
        record = records.new_record(event, now)
        items.append(
            _Item(
                alert_id=record["id"],
                fingerprint=event.fingerprint,
                event=event.status,
                score=repr(records.epoch(event.starts_at)),
                new=records.encode(record),
                ends_at=event.ends_at,
                facts=_facts(event),
            )
        )
    applied = _apply(
        redis,
        items,
        now=now,
        cooldown_seconds=cooldown_seconds,
        flap_window_seconds=flap_window_seconds,
        starts_at_tolerance_seconds=starts_at_tolerance_seconds,
        hold_reopens=hold_reopens,
    )
    outcomes: list[Outcome] = [None] * len(events)  # type: ignore[list-item]
    for position, outcome in zip(order, applied, strict=True):
        outcomes[position] = outcome
    return outcomes


def record_transition(
    redis: redis_lib.Redis,
    event: records.AlertEvent,
    *,
    now: datetime,
    cooldown_seconds: int,
    flap_window_seconds: int,
    starts_at_tolerance_seconds: float = 0,
) -> Outcome:
    """Store one event: create or update its record, indexes and outbox entry, atomically."""
    return record_transitions(
        redis,
        [event],
        now=now,
        cooldown_seconds=cooldown_seconds,
        flap_window_seconds=flap_window_seconds,
        starts_at_tolerance_seconds=starts_at_tolerance_seconds,
    )[0]


# The status of the record each webhook event would apply to ('' for none: it creates one),
# by the transition script's own identity rule, read-only.
# KEYS: per event, its fingerprint hash. ARGV: tolerance, record key prefix, then per event
# its id and score.
_STATUSES_OF = Script(
    None,
    (
        """
local tolerance, record_prefix = tonumber(ARGV[1]), ARGV[2]"""
        + _LUA_INSTANCE_OF
        + """
local reply = {}
for i, fp in ipairs(KEYS) do
  local latest, latest_score, resolved_at = unpack(
    redis.call('HMGET', fp, 'latest', 'score', 'resolved_at'))
  local id = instance_of(ARGV[1 + 2 * i], ARGV[2 + 2 * i], latest, latest_score, resolved_at)
  local raw = redis.call('GET', record_prefix .. id)
  reply[i] = raw and cjson.decode(raw).status or ''
end
return reply
"""
    ).encode(),
)


def statuses_of(
    redis: redis_lib.Redis,
    events: list[records.AlertEvent],
    *,
    starts_at_tolerance_seconds: float = 0,
) -> list[str | None]:
    """The status of the record each event would apply to now (None: it would create one),
    in one round trip: under a Prometheus pair a resolve can carry the other replica's
    startsAt, so the record is found as the writer finds it, not by the event's own id."""
    if not events:
        return []
    args: list = [repr(float(starts_at_tolerance_seconds)), layout.RECORD_KEY_PREFIX]
    for event in events:
        args += [
            records.alert_id(event.fingerprint, event.starts_at),
            repr(records.epoch(event.starts_at)),
        ]
    keys = [layout.fingerprint_key(event.fingerprint) for event in events]
    reply = _STATUSES_OF(keys=keys, args=args, client=redis)
    return [layout.text(status) or None for status in reply]


def _reconcile(
    redis: redis_lib.Redis, alert_id: str, event: str, by: str, now: datetime, facts: str = ""
):
    raw = redis.get(layout.record_key(alert_id))
    if raw is None:
        return Outcome(alert_id, "duplicate", None)
    record = records.decode(raw)  # fingerprint and starts_at never change
    item = _Item(
        alert_id=alert_id,
        fingerprint=record["fingerprint"],
        event=event,
        score=repr(records.epoch(datetime.fromisoformat(record["starts_at"]))),
        by=by,
        facts=facts,
    )
    # The cooldown, flap window and tolerance only matter to webhook events; any valid
    # value will do.
    return _apply(
        redis,
        [item],
        now=now,
        cooldown_seconds=1,
        flap_window_seconds=0,
        starts_at_tolerance_seconds=0,
    )[0]


def resolve_inferred(
    redis: redis_lib.Redis, alert_id: str, *, now: datetime, facts: dict | None = None
) -> Outcome:
    """Reconciliation: no Alertmanager has this instance any more (lifecycle event `gone`):
    a firing record is resolved with resolution "inferred", ends_at = now, and `facts`
    (what was measured at the resolve, records.FACT_FIELDS) set on it."""
    return _reconcile(redis, alert_id, "gone", "", now, _encode_facts(facts or {}))


def mark_suppressed(
    redis: redis_lib.Redis,
    alert_id: str,
    by: Literal["silenced", "inhibited"] | None,
    *,
    now: datetime,
) -> Outcome:
    """Reconciliation: Alertmanager mutes this instance (`by`), or no longer does (None)."""
    if by is not None and by not in lifecycle.MUTES:
        raise ValueError(f"by must be one of {', '.join(lifecycle.MUTES)} or None, got {by!r}")
    return _reconcile(redis, alert_id, "muted", by or "", now)


# KEYS: schema, record, outbox pending (its indexes: layout's `reindex`). ARGV: schema
# version, by, at (ISO), comment ('' = none), silence ids (JSON list), id. Acknowledging is
# no lifecycle transition (the status stays firing; Alertmanager's silence mutes what
# follows), so it is its own script: the first acknowledge of a firing record wins, with one
# `acknowledged` message; any later one changes nothing and says why.
_ACKNOWLEDGE = (
    layout.LUA_REINDEX
    + records.LUA_DELIVERY_OF
    + """
local schema = redis.call('GET', KEYS[1])
if schema and schema ~= ARGV[1] then return redis.error_reply('SCHEMA ' .. schema) end
local raw = redis.call('GET', KEYS[2])
if not raw then return 'missing' end
local rec = cjson.decode(raw)
if rec.acknowledged_by ~= nil and rec.acknowledged_by ~= cjson.null then return 'already' end
if rec.status ~= 'firing' then return 'resolved' end
rec.acknowledged_by, rec.acknowledged_at = ARGV[2], ARGV[3]
rec.ack_comment = ARGV[4] ~= '' and ARGV[4] or cjson.null
rec.silence_ids = cjson.decode(ARGV[5])
table.insert(rec.notifications, {
  kind = 'acknowledged', state = 'pending', attempts = 0, last_http_status = cjson.null,
  last_error = cjson.null, enqueued_at = ARGV[3], sent_at = cjson.null, ledger = {}})
redis.call('RPUSH', KEYS[3], ARGV[6] .. ':' .. (#rec.notifications - 1))
local before = rec.delivery
rec.delivery = delivery_of(rec)
local score = redis.call('ZSCORE', INDEX_KEY, ARGV[6])
reindex(rec, ARGV[6], score, rec.status, before, rec.status, rec.delivery)
rec.updated_at = ARGV[3]
redis.call('SET', KEYS[2], cjson.encode(rec))
return 'acknowledged'
"""
)


AckOutcome = Literal["acknowledged", "already", "resolved", "missing"]


def acknowledge(
    redis: redis_lib.Redis,
    alert_id: str,
    *,
    by: str,
    comment: str | None,
    silence_ids: list[str],
    now: datetime,
) -> AckOutcome:
    """Store who acknowledged a firing record, when, why, and the silences made for it, and
    queue its one `acknowledged` message: all in one script. "already" (someone did),
    "resolved" (it ended meanwhile) and "missing" change nothing."""
    if not by.strip():
        raise ValueError("by must name who acknowledges")
    if not silence_ids:
        raise ValueError("an acknowledge needs the silence it made")
    try:
        result = redis.register_script(_ACKNOWLEDGE)(
            keys=[
                layout.SCHEMA_KEY,
                layout.record_key(alert_id),
                layout.OUTBOX_PENDING_KEY,
            ],
            args=[
                layout.SCHEMA_VERSION,
                by,
                records.isoformat(now),
                comment or "",
                json.dumps(list(silence_ids)),
                alert_id,
            ],
        )
    except redis_lib.ResponseError as exc:
        refused, _, found = str(exc).partition("SCHEMA ")
        if not refused and found:
            raise layout.schema_mismatch(found, "writer writes") from exc
        raise
    return layout.text(result)
