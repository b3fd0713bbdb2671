"""Read the alert history: list (filters, newest first, paging), search, get, and the
schema check.

Every filter combination has its own index (see layout), so a page costs one round trip
and O(log n + page) work — total, time bounds and offset included — at any history size.
A search (`search_alerts`) cannot be indexed: it scans one window of one index, bounded.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

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
    return unbounded if moment is None else repr(records.epoch(_utc(moment)))


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
    severity = _checked(severity, status, delivery, offset, limit)
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


def _checked(
    severity: str | None, status: str | None, delivery: str | None, offset: int, limit: int
) -> str | None:
    """The severity as indexed; ValueError names a bad argument."""
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
    return severity


# What a read that scans a window (search_alerts, alertstore.stats) may read at most. Stats
# over 10k records take 1-1.5 s on a loaded 2-core machine (bench/window_reads.py,
# mostly JSON decoding), so this bounds a request at a few seconds; wider is refused.
MAX_WINDOW_RECORDS = 20_000
_BATCH = 500  # records per MGET: each call is short, Redis serves others in between
SEARCH_WINDOW = timedelta(hours=24)


class WindowTooLarge(ValueError):
    """since/until span more records than MAX_WINDOW_RECORDS."""


def window(
    since: datetime | None, until: datetime | None, *, length: timedelta, now: datetime
) -> tuple[datetime, datetime]:
    """The bounds a windowed read uses: until defaults to now, since to until - length, or
    the earliest datetime when that is earlier (naive datetimes are UTC)."""
    until = _utc(until or now)
    return _utc(since) if since else until - min(length, until - _EARLIEST), until


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def window_raw(
    redis: redis_lib.Redis, index: str, since: datetime, until: datetime, *, newest_first: bool
) -> list[bytes]:
    """The stored JSON of every record of `index` whose starts_at is within since..until
    (inclusive): one range read of at most MAX_WINDOW_RECORDS + 1 ids (WindowTooLarge
    past that), then MGETs of _BATCH records, never one long Lua call. A record's id and
    starts_at never change, so the calls in between can only let a concurrent write's new
    state (or a new record's absence) show, as any read racing a write would."""
    low, high = _score(since, "-inf"), _score(until, "+inf")
    if newest_first:
        ids = redis.zrevrangebyscore(index, high, low, start=0, num=MAX_WINDOW_RECORDS + 1)
    else:
        ids = redis.zrangebyscore(index, low, high, start=0, num=MAX_WINDOW_RECORDS + 1)
    if len(ids) > MAX_WINDOW_RECORDS:
        raise WindowTooLarge(
            f"since..until holds more than {MAX_WINDOW_RECORDS} alerts; narrow the window"
        )
    raws = []
    for first in range(0, len(ids), _BATCH):
        keys = [layout.record_key(layout.text(i)) for i in ids[first : first + _BATCH]]
        raws += [raw for raw in redis.mget(keys) if raw is not None]
    return raws


def search_alerts(
    redis: redis_lib.Redis,
    q: str,
    *,
    severity: str | None = None,
    alert_type: str | None = None,
    status: str | None = None,
    delivery: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: int = 0,
    limit: int = 20,
    now: datetime | None = None,
) -> tuple[int, list[records.AlertRecord]]:
    """Like list_alerts, of the records whose message, alertname or a label value contains
    `q` (case-insensitive: casefold). It scans, so it reads one window: since/until as given,
    until defaulting to now and since to until - SEARCH_WINDOW; the filters pick the index
    that is scanned. (total matching, one page), newest first; ValueError names a bad
    argument, WindowTooLarge a window of more than MAX_WINDOW_RECORDS records."""
    severity = _checked(severity, status, delivery, offset, limit)
    needle = q.casefold()
    if not needle:
        raise ValueError("q must not be empty")
    since, until = window(since, until, length=SEARCH_WINDOW, now=now or datetime.now(UTC))
    index = layout.index_key(severity, alert_type, status, delivery)
    matches = [
        raw
        for raw in window_raw(redis, index, since, until, newest_first=True)
        if _contains(json.loads(raw), needle)
    ]
    return len(matches), [records.decode(raw) for raw in matches[offset : offset + limit]]


def _contains(stored: dict, needle: str) -> bool:
    texts = (stored["message"], stored["alertname"], *stored["labels"].values())
    return any(needle in text.casefold() for text in texts)


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
