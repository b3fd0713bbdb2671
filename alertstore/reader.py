"""Read the alert history: list (filters, newest first, paging), get, and the schema check.

A page costs one round trip. One filter (or none) reads one index: O(log n + offset + page).
Several filters walk the smallest index within the time bounds and keep the ids present in
the others, so their cost grows with that smallest index, not with the whole history.
"""

from __future__ import annotations

from datetime import UTC, datetime

import redis as redis_lib

from alertstore import layout, records

# KEYS: index zsets (≥1). ARGV: min score, max score, offset, limit, record key prefix.
# Returns {total, record JSON...}. Ranks are used instead of ZREVRANGEBYSCORE ... LIMIT so
# each batch costs O(log n + batch) however deep the walk goes.
_LIST = """
local min, max = ARGV[1], ARGV[2]
local offset, limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local indexes = {}
for i, key in ipairs(KEYS) do indexes[i] = {key, redis.call('ZCARD', key)} end
table.sort(indexes, function(a, b) return a[2] < b[2] end)
local walk = indexes[1][1]
local first = 0
if max ~= '+inf' then first = redis.call('ZCOUNT', walk, '(' .. max, '+inf') end
local count = redis.call('ZCOUNT', walk, min, max)

local ids, total = {}, 0
if #indexes == 1 then
  total = count
  if limit > 0 and offset < count then
    local last = first + math.min(offset + limit, count) - 1
    ids = redis.call('ZREVRANGE', walk, first + offset, last)
  end
else
  local batch = 1000
  for start = first, first + count - 1, batch do
    local stop = math.min(start + batch, first + count) - 1
    for _, id in ipairs(redis.call('ZREVRANGE', walk, start, stop)) do
      local everywhere = true
      for j = 2, #indexes do
        if not redis.call('ZSCORE', indexes[j][1], id) then everywhere = false; break end
      end
      if everywhere then
        if total >= offset and #ids < limit then ids[#ids + 1] = id end
        total = total + 1
      end
    end
  end
end

local reply = {total}
if #ids > 0 then
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
    since: datetime | None = None,
    until: datetime | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[int, list[records.AlertRecord]]:
    """(total matching, one page) newest first by starts_at; since/until bound starts_at
    inclusively (naive datetimes are UTC). ValueError names a bad argument."""
    indexes = []
    if severity is not None:
        severity = severity.strip().upper()
        if severity not in records.SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(records.SEVERITIES)}")
        indexes.append(layout.severity_index_key(severity))
    if alert_type is not None:
        indexes.append(layout.alert_type_index_key(alert_type))
    if status is not None:
        if status not in records.STATUSES:
            raise ValueError(f"status must be one of {', '.join(records.STATUSES)}")
        indexes.append(layout.status_index_key(status))
    if offset < 0 or limit < 0:
        raise ValueError("offset and limit must not be negative")
    script = redis.register_script(_LIST)
    reply = script(
        keys=indexes or [layout.INDEX_KEY],
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
        raise layout.SchemaMismatch(
            f"alert store schema is {version}, this reader reads {layout.SCHEMA_VERSION}"
        )
