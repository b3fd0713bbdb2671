"""Read the alert history: list (filters, newest first, paging), get, and the schema check.

Every filter combination has its own index (see layout), so a page costs one round trip
and O(log n + page) work — total, time bounds and offset included — at any history size.
"""

from __future__ import annotations

from datetime import UTC, datetime

import redis as redis_lib

from alertstore import layout, records

# KEYS: the index of the filters. ARGV: min score, max score, offset, limit, record key
# prefix. Returns {total, record JSON...}. The page is read by rank (ZREVRANGE) rather than
# ZREVRANGEBYSCORE ... LIMIT, which walks `offset` entries: a deep page costs the same.
_LIST = """
local index, min, max = KEYS[1], ARGV[1], ARGV[2]
local offset, limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local total = redis.call('ZCOUNT', index, min, max)
local reply = {total}
if limit > 0 and offset < total then
  local newest = 0  -- rank of the newest record within the bounds
  if max ~= '+inf' then newest = redis.call('ZCOUNT', index, '(' .. max, '+inf') end
  local ids = redis.call('ZREVRANGE', index, newest + offset,
    newest + math.min(offset + limit, total) - 1)
  local keys = {}
  for i, id in ipairs(ids) do keys[i] = ARGV[5] .. id end
  for _, raw in ipairs(redis.call('MGET', unpack(keys))) do
    if raw then reply[#reply + 1] = raw end
  end
end
return reply
"""


def _score(moment: datetime | None, unbounded: str) -> str:
    if moment is None:
        return unbounded
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return repr(records.epoch(moment))


def list_alerts(
    redis: redis_lib.Redis,
    *,
    severity: str | None = None,
    alert_type: str | None = None,
    status: str | None = None,
    delivery: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[int, list[records.AlertRecord]]:
    """(total matching, one page) newest first by starts_at; since/until bound starts_at
    inclusively (naive datetimes are UTC); delivery is the record's `delivery` state.
    ValueError names a bad argument."""
    if severity is not None:
        severity = severity.strip().upper()
        if severity not in records.SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(records.SEVERITIES)}")
    if status is not None and status not in records.STATUSES:
        raise ValueError(f"status must be one of {', '.join(records.STATUSES)}")
    if delivery is not None and delivery not in records.DELIVERY_STATES:
        raise ValueError(f"delivery must be one of {', '.join(records.DELIVERY_STATES)}")
    if offset < 0 or limit < 0:
        raise ValueError("offset and limit must not be negative")
    script = redis.register_script(_LIST)
    reply = script(
        keys=[layout.index_key(severity, alert_type, status, delivery)],
        args=[
            _score(since, "-inf"),
            _score(until, "+inf"),
            offset,
            limit,
            layout.RECORD_KEY_PREFIX,
        ],
    )
    return reply[0], [records.decode(raw) for raw in reply[1:]]


def get_alert(redis: redis_lib.Redis, alert_id: str) -> records.AlertRecord | None:
    raw = redis.get(layout.record_key(alert_id))
    return None if raw is None else records.decode(raw)


def check_schema(redis: redis_lib.Redis) -> None:
    """Raise layout.SchemaMismatch unless the store is empty or at SCHEMA_VERSION."""
    stored = redis.get(layout.SCHEMA_KEY)
    if stored is None:
        if redis.exists(layout.INDEX_KEY):
            raise layout.SchemaMismatch("alert records exist but no schema version is stamped")
        return
    version = layout.text(stored)
    if version != layout.SCHEMA_VERSION:
        raise layout.schema_mismatch(version, "reader reads")


def firing_records(redis: redis_lib.Redis) -> list[records.AlertRecord]:
    """Every firing record, oldest first: reconciliation's worklist (firing records are
    the open incidents, a handful, so one MGET)."""
    ids = redis.zrange(layout.index_key(status="firing"), 0, -1)
    if not ids:
        return []
    raws = redis.mget([layout.record_key(layout.text(i)) for i in ids])
    return [records.decode(raw) for raw in raws if raw is not None]
