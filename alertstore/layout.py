"""Redis layout of the alert history and of every other ``taskmgr:`` key — the only
description of it.

Every key starts with ``taskmgr:``. Writer = the alert bridge (``alertstore.writer``, from
the webhook and the delivery worker); reader = the API (``alertstore.reader``) and the
delivery worker.

======================================  ======  ================================================
key                                     type    content
======================================  ======  ================================================
``taskmgr:alerts:schema``               string  SCHEMA_VERSION of everything below. Stamped by
                                                the first write; the writer refuses to write and
                                                the reader's ``check_schema`` (readiness) fails
                                                when it differs.
``taskmgr:alert:{id}``                  string  one alert record as JSON (``records.encode``;
                                                fields in ``records.AlertRecord``). ``{id}`` =
                                                ``records.alert_id(fingerprint, starts_at)``
                                                of the first startsAt stored for the
                                                instance (see `Record identity`).
                                                Written by the webhook (create, resolve,
                                                reminder), the acknowledge and the worker
                                                (each Slack attempt: ledger, ``delivery``,
                                                time to page).
``taskmgr:alerts:by:{S}:{t}:{s}``       zset    member = id, score = ``starts_at`` as epoch
                                                seconds (exact; the record's string is cut to
                                                milliseconds). One index per combination of
                                                filter values: severity S, alert_type t
                                                (percent-encoded, see ``index_key``), status s,
                                                each ``*`` for "any". A record is in the 2^3 = 8
                                                indexes of its values; ``by:*:*:*``
                                                (``INDEX_KEY``) holds every record. The writer
                                                moves a record from its 4 ``:firing`` indexes
                                                to its 4 ``:resolved`` ones in the same script
                                                that resolves it.
``taskmgr:alerts:by:{S}:{t}:{s}:{d}``   zset    the same, for the records whose ``delivery``
                                                is d (``records.DELIVERY_STATES``): a record
                                                is in the 8 of its delivery state, none while
                                                it is null. Every script that changes its
                                                state or the status moves it (writer: a
                                                notification enqueued, resolve, reopen,
                                                acknowledge; ``notifications.mark``: an
                                                attempt), with layout's ``LUA_REINDEX``.
``taskmgr:outbox:pending``              list    outbox entries ``{id}:{n}`` (record id and the
                                                index of the notification in its
                                                ``notifications``) waiting for Slack, oldest at
                                                the head. Webhook RPUSHes; worker BLMOVEs.
``taskmgr:outbox:processing``           list    the entry the worker is delivering (BLMOVE from
                                                pending). Removed (LREM) in the same script that
                                                marks the notification final; re-queued at the
                                                head of pending by the worker that takes the
                                                lease (crash recovery).
``taskmgr:outbox:lease``                string  random token of the one delivery worker allowed
                                                to deliver; SET NX PX, renewed while it works.
``taskmgr:fingerprint:{fp}``            hash    the lifecycle's memory of one Alertmanager
                                                fingerprint: ``latest`` (id of its newest
                                                instance) and ``score`` (its starts_at epoch),
                                                ``resolved_at`` (epoch of the latest's resolve,
                                                absent while it fires), ``flaps`` (see
                                                ``alertstore.lifecycle``). Written by the
                                                writer's transition script only; no TTL (one
                                                small hash per alert label set).
======================================  ======  ================================================

Record identity
===============

A record is one instance of one alert: its Alertmanager ``fingerprint`` (the label set,
the pair's ``replica`` label dropped before Alertmanager sees it) and its ``startsAt``,
*within a tolerance*. Each Prometheus of a pair stamps its own startsAt (when the rule
became pending there: the two evaluate on their own phases over their own scrapes), and
an Alertmanager forwards whichever copy reached it first until the copies merge (it then
keeps the earliest). So the writer's transition script, for a webhook event (``firing``,
``resolved``), reads the fingerprint hash first: when its ``latest`` record exists, the
event's startsAt is within ``ALERT_STARTS_AT_TOLERANCE_SECONDS`` of that ``score`` and
before the latest's ``resolved_at`` (if resolved), the event *is* that instance and
applies to that record (its id, its stored startsAt and score unchanged). Otherwise it is
its own instance, id from its own startsAt: a later one supersedes the latest (lifecycle),
an earlier one is stale. Consequences:

* both replicas' firing → one record, one FIRING; a resolve carrying either startsAt
  resolves it once (the other copy is a duplicate);
* a genuinely new instance after a resolve always gets a new record, however close its
  startsAt: an instance starts after its predecessor's resolve, never before;
* reconciliation (``bridge.reconcile``) matches Alertmanager's instances to records with
  the same rule (``records.same_instance``): an Alertmanager holding the other replica's
  startsAt still holds the record;
* the webhook's read before the write (``writer.statuses_of``: is the record a resolve
  applies to still firing?) runs the transition script's own Lua function for it, so a
  resolve carrying the other replica's startsAt is held like one carrying the record's.

The tolerance is 2 * (scrape interval + evaluation interval) of the timing profile
(production 60 s, fast 4 s; ``stack/settings/table.py``): the replicas' startsAt differ by
up to one evaluation phase plus one scrape phase, doubled for margin. It stays far below
the shortest instance (``for`` plus ``keep_firing_for``: 4 min, fast 10 s), and the resolve
check above covers the rest. Ids stay ``alert_id(fingerprint, startsAt)``, so a store
written with one Prometheus reads the same: no schema bump.

Records have no TTL: the history is kept for ALERT_HISTORY_RETENTION_DAYS after a record
resolves, then ``alertstore.trim`` (the delivery worker, hourly) removes it with its index
entries and, when it was its fingerprint's latest, the fingerprint hash; firing records and
undelivered notifications are never removed. ``taskmgr:cooldown:{fingerprint}`` keys (before
issue 11 the cooldown held re-fires back) are no longer read or written; they expire on
their own within one cooldown of the upgrade.

The pipeline's and the API's own keys share the ``taskmgr:`` prefix; they are listed
below (`API and pipeline keys`) so this module names every key under it. Index scores are
floats; ties are ordered by id.

Why one index per combination: any filter set and time bounds is one index, so a page
costs O(log n + page) and its total one ZCOUNT, O(log n), at any history size and any
offset (ranks, not ZREVRANGEBYSCORE ... LIMIT, which walks the offset). The price: 16 ZADDs
per new record (resolving: 8 ZREMs, 8 ZADDs; a delivery change 8 of each), and 16 index
entries per record, about 125 bytes each in Redis 7: ~2 KB of indexes beside a typical
~1.6 KB record. Measured when schema 4 added the delivery indexes (20k records through
the writer, a loaded 2-core machine): ~3.8 KB of Redis memory per record (schema 3: 2.6),
and the writer's script ~1.5x slower per record (~0.6 ms instead of ~0.4).

Schema history. 1: ``taskmgr:alerts:index`` (every record) and one index per filter value,
``taskmgr:alerts:by:severity:{S}``, ``…:alert_type:{t}``, ``…:status:{s}``; a listing with
several filters walked the smallest one. 2: the combination indexes above. Issue 11 added
the record fields ``flaps`` and ``resolution`` and the fingerprint hashes without a bump
(additive: ``records.decode`` gives older records their defaults). 3 (issue 12): records
say where it broke and what the resolve measured — ``culprits``, ``culprits_note``,
``resolved_value``, ``peak_value``, ``resolved_note``, ``duration_seconds`` — and who
acknowledged them: ``acknowledged_by``, ``acknowledged_at``, ``ack_comment``,
``silence_ids``. Keys are unchanged. Bumped because the meaning of a resolved record
changed: a schema-3 resolve carries its duration and the value at resolve (or why it has
none), and a schema-2 bridge still running would keep writing resolves that silently lack
them; readiness refusing the mismatch makes a half-upgraded deployment visible.
4 (issue 13): every Slack attempt in each notification's ``ledger``, the record's
``time_to_page_seconds`` and ``delivery``, and the 4-part delivery indexes. Bumped because
a schema-3 worker would mark attempts without ledger or delivery indexes, leaving
``delivery=`` listings silently wrong.
``python -m alertstore.migrate`` upgrades a schema-1, -2 or -3 store in place
(``MIGRATES_FROM``): 1 → 2 rebuilds the indexes, 2 → 3 writes the new fields into every
record (defaults; ``duration_seconds`` from ``starts_at``/``ends_at`` of resolved ones),
3 → 4 writes schema 4's fields (empty ledgers, the time to page from the firing
notification's ``sent_at``, ``delivery`` from the notifications) and builds the delivery
indexes.

API and pipeline keys
=====================

==========================================  ======  ========================================
key                                         type    content (owner)
==========================================  ======  ========================================
``taskmgr:throttle:{cache key}``            zset    one client's sliding request log for one
                                                    DRF throttle scope (DRF's cache key,
                                                    ``throttle_{scope}_{ident}``;
                                                    api/taskmgr/throttling.py,
                                                    ``throttle_key``), EX its window
``taskmgr:active_users``                    zset    user id → epoch last seen
                                                    (api/metrics/active_users.py,
                                                    ``ACTIVE_USERS_KEY``)
``taskmgr:cache:{version}:{key}``           string  Django's cache (the metrics summary);
                                                    ``CACHE_KEY_PREFIX`` is its KEY_PREFIX
                                                    (api/taskmgr/settings.py)
``taskmgr:pipeline:heartbeat``              string  ISO time of the last heartbeat
                                                    (``HEARTBEAT_KEY``, the bridge)
``taskmgr:pipeline:state``                  hash    ``state`` ok|broken, ``since`` ISO,
                                                    ``announced`` 0|1
                                                    (``PIPELINE_STATE_KEY``)
``taskmgr:pipeline:slack``                  hash    ``status`` ok|refused, ``http_status``,
                                                    ``at``, ``detail`` (``SLACK_HEALTH_KEY``)
==========================================  ======  ========================================
"""

import json
from urllib.parse import quote, unquote

from alertstore.records import DELIVERY_STATES, SEVERITIES, STATUSES

SCHEMA_VERSION = "4"
MIGRATES_FROM = ("1", "2", "3")
MIGRATE_COMMAND = "python -m alertstore.migrate"


class SchemaMismatch(RuntimeError):
    """The store holds another schema version than this code reads or writes."""


def schema_mismatch(found: str, role: str) -> SchemaMismatch:
    """The refusal of a reader or writer (`role`) that meets schema `found`, naming the fix."""
    message = f"alert store schema is {found}, this {role} {SCHEMA_VERSION}"
    if found in MIGRATES_FROM:
        message += f"; upgrade the store with `{MIGRATE_COMMAND}`"
    return SchemaMismatch(message)


PREFIX = "taskmgr:"
SCHEMA_KEY = f"{PREFIX}alerts:schema"
OUTBOX_PENDING_KEY = f"{PREFIX}outbox:pending"
OUTBOX_PROCESSING_KEY = f"{PREFIX}outbox:processing"
OUTBOX_LEASE_KEY = f"{PREFIX}outbox:lease"

RECORD_KEY_PREFIX = f"{PREFIX}alert:"
INDEX_KEY_PREFIX = f"{PREFIX}alerts:by:"
_ANY = "*"
_FINGERPRINT_PREFIX = f"{PREFIX}fingerprint:"
# Schema 1's all-records and status indexes; only alertstore.migrate still reads them.
V1_INDEX_KEY = f"{PREFIX}alerts:index"
V1_STATUS_INDEX_KEYS = tuple(f"{INDEX_KEY_PREFIX}status:{status}" for status in STATUSES)


def text(value: str | bytes) -> str:
    """Redis replies are bytes unless the client decodes them; accept both."""
    return value.decode() if isinstance(value, bytes) else value


def record_key(alert_id: str) -> str:
    return f"{RECORD_KEY_PREFIX}{alert_id}"


def alert_id_from_record_key(key: str | bytes) -> str:
    key = text(key)
    if not key.startswith(RECORD_KEY_PREFIX):
        raise ValueError(f"not an alert record key: {key!r}")
    return key[len(RECORD_KEY_PREFIX) :]


def index_key(
    severity: str | None = None,
    alert_type: str | None = None,
    status: str | None = None,
    delivery: str | None = None,
) -> str:
    """The index of the records matching every given value (None = any; delivery None =
    the 3-part key of every delivery state). alert_type is a free-form label:
    percent-encoded, so it never contains `:` or `*` (nor glob chars)."""
    parts = (severity, None if alert_type is None else quote(alert_type, safe=""), status)
    key = INDEX_KEY_PREFIX + ":".join(_ANY if part is None else part for part in parts)
    return key if delivery is None else f"{key}:{delivery}"


INDEX_KEY = index_key()  # every record


def index_filters(
    key: str | bytes,
) -> tuple[str | None, str | None, str | None, str | None]:
    """`index_key`'s inverse: (severity, alert_type, status, delivery), None = any;
    ValueError for anything else (schema 1's per-value indexes included)."""
    key = text(key)
    parts = key[len(INDEX_KEY_PREFIX) :].split(":")
    if key.startswith(INDEX_KEY_PREFIX) and len(parts) in (3, 4):
        delivery = parts.pop() if len(parts) == 4 else None
        severity, alert_type, status = (None if part == _ANY else part for part in parts)
        if alert_type is not None:
            alert_type = unquote(alert_type)  # bad UTF-8 → U+FFFD, not the one spelling
        if (
            severity in (None, *SEVERITIES)
            and status in (None, *STATUSES)
            and delivery in (None, *DELIVERY_STATES)
            and key == index_key(severity, alert_type, status, delivery)  # the one spelling
        ):
            return severity, alert_type, status, delivery
    raise ValueError(f"not an alert index key: {key!r}")


def index_keys(
    severity: str, alert_type: str, status: str | None, delivery: str | None = None
) -> list[str]:
    """The 4 indexes with this status (None = any) and delivery (None = the 3-part ones)
    holding a record of this severity and alert_type: each of the two either itself or
    any. A record is in the 4 with any status and the 4 with its own, and as many again
    with its delivery state (none while it has none)."""
    return [index_key(s, t, status, delivery) for s in (severity, None) for t in (alert_type, None)]


# Lua for the scripts that change a record (writer, notifications, trim): `reindex(rec, id,
# score, before_status, before_delivery, after_status, after_delivery)` moves the record
# from the indexes of its state before to those of its state after, naming them as
# `index_key` does from the record's own severity and alert_type (which never change). A
# status nil is "absent"; a delivery nil or cjson.null is none. INDEX_KEY holds every record
# (its score: the record's exact starts_at epoch).
#
# The scripts name these keys themselves rather than take them as KEYS: passing a
# record's 48 possible index keys cost a webhook more than its own parsing, and the few it
# touches follow from the record the script reads. Redis asks for every key in KEYS only
# so that Redis Cluster can route a script to the node of their hash slots; the store runs
# on one primary (standalone, or Sentinel's: alertstore.connection), which holds every key,
# so a key a script names is as atomic and as replicated as a declared one (the writer's
# script already reaches the fingerprint's latest record by its name). A move to Cluster
# would need every key of a record in one hash slot anyway, i.e. another layout.
LUA_REINDEX = (
    """
local INDEX_PREFIX, ANY, INDEX_KEY = """
    + ", ".join(map(json.dumps, (INDEX_KEY_PREFIX, _ANY, INDEX_KEY)))
    + """
-- index_key's quote(alert_type, safe=''): every byte but A-Z a-z 0-9 _ . - ~ as %XX
local function quoted(text)
  return (string.gsub(text, '[^%w_%.%-~]', function(c)
    return string.format('%%%02X', string.byte(c)) end))
end
-- the status and delivery parts of the indexes holding a record in this state
local function index_groups(status, delivery)
  local groups = {}
  if not status then return groups end
  for _, s in ipairs({ANY, status}) do
    groups[s] = true
    if delivery ~= nil and delivery ~= cjson.null then groups[s .. ':' .. delivery] = true end
  end
  return groups
end
local function reindex(rec, id, score, before_status, before_delivery, after_status,
                       after_delivery)
  local before = index_groups(before_status, before_delivery)
  local after = index_groups(after_status, after_delivery)
  local t = quoted(rec.alert_type)
  local heads = {rec.severity .. ':' .. t, rec.severity .. ':' .. ANY, ANY .. ':' .. t,
                 ANY .. ':' .. ANY}
  for g in pairs(before) do
    if not after[g] then
      for _, head in ipairs(heads) do
        redis.call('ZREM', INDEX_PREFIX .. head .. ':' .. g, id)
      end
    end
  end
  for g in pairs(after) do
    if not before[g] then
      for _, head in ipairs(heads) do
        redis.call('ZADD', INDEX_PREFIX .. head .. ':' .. g, score, id)
      end
    end
  end
end
"""
)


def fingerprint_key(fingerprint: str) -> str:
    return f"{_FINGERPRINT_PREFIX}{fingerprint}"


def outbox_entry(alert_id: str, notification: int) -> str:
    return f"{alert_id}:{notification}"


def parse_outbox_entry(raw: str | bytes) -> tuple[str, int]:
    """`{id}:{n}` → (id, n); ValueError for anything else."""
    raw = text(raw)
    alert_id, sep, index = raw.rpartition(":")
    if not sep or not alert_id or not index.isdigit():
        raise ValueError(f"not an outbox entry: {raw!r}")
    return alert_id, int(index)


# --- API and pipeline keys (table above) ----------------------------------------------

ACTIVE_USERS_KEY = f"{PREFIX}active_users"
CACHE_KEY_PREFIX = f"{PREFIX}cache"  # Django prepends it as `{prefix}:{version}:{key}`
HEARTBEAT_KEY = f"{PREFIX}pipeline:heartbeat"
PIPELINE_STATE_KEY = f"{PREFIX}pipeline:state"
SLACK_HEALTH_KEY = f"{PREFIX}pipeline:slack"
_THROTTLE_PREFIX = f"{PREFIX}throttle:"


def throttle_key(cache_key: str) -> str:
    """One client's request log for one throttle scope: DRF's cache key for it."""
    return f"{_THROTTLE_PREFIX}{cache_key}"
