"""Redis layout of the alert history — the only description of it.

Every key starts with ``taskmgr:``. Writer = the alert bridge (``alertstore.writer``, from
the webhook and the delivery worker); reader = the API (``alertstore.reader``) and the
delivery worker.

==================================  ======  ================================================
key                                 type    content
==================================  ======  ================================================
``taskmgr:alerts:schema``           string  SCHEMA_VERSION of everything below. Stamped by
                                            the first write; the writer refuses to write and
                                            the reader's ``check_schema`` (readiness) fails
                                            when it differs.
``taskmgr:alert:{id}``              string  one alert record as JSON (``records.encode``;
                                            fields in ``records.AlertRecord``). ``{id}`` =
                                            ``records.alert_id(fingerprint, starts_at)``.
                                            Written by the webhook (create, resolve,
                                            reminder) and the worker (delivery state).
``taskmgr:alerts:index``            zset    member = id, score = ``starts_at`` as epoch
                                            seconds: every record, newest first.
``taskmgr:alerts:by:severity:{S}``  zset    same members/scores, records whose severity is S
                                            (INFO, WARNING, ERROR, CRITICAL).
``taskmgr:alerts:by:alert_type:{t}``zset    same, records whose alert_type is t.
``taskmgr:alerts:by:status:{s}``    zset    same, records whose status is s (firing,
                                            resolved); the writer moves a record from
                                            ``firing`` to ``resolved`` in the same script.
``taskmgr:outbox:pending``          list    outbox entries ``{id}:{n}`` (record id and the
                                            index of the notification in its
                                            ``notifications``) waiting for Slack, oldest at
                                            the head. Webhook RPUSHes; worker BLMOVEs.
``taskmgr:outbox:processing``       list    the entry the worker is delivering (BLMOVE from
                                            pending). Removed (LREM) in the same script that
                                            marks the notification final; re-queued at the
                                            head of pending by the worker that takes the
                                            lease (crash recovery).
``taskmgr:outbox:lease``            string  random token of the one delivery worker allowed
                                            to deliver; SET NX PX, renewed while it works.
``taskmgr:cooldown:{fingerprint}``  string  ISO time of the last firing/reminder message for
                                            this Alertmanager fingerprint, EX cooldown: a new
                                            firing record while it exists is stored with
                                            ``suppressed_by = "cooldown"`` and no message.
==================================  ======  ================================================

Records have no TTL: the history is kept. Index scores are floats; ties are ordered by id.
"""

SCHEMA_VERSION = "1"


class SchemaMismatch(RuntimeError):
    """The store holds another schema version than this code reads or writes."""


PREFIX = "taskmgr:"
SCHEMA_KEY = f"{PREFIX}alerts:schema"
INDEX_KEY = f"{PREFIX}alerts:index"
OUTBOX_PENDING_KEY = f"{PREFIX}outbox:pending"
OUTBOX_PROCESSING_KEY = f"{PREFIX}outbox:processing"
OUTBOX_LEASE_KEY = f"{PREFIX}outbox:lease"

RECORD_KEY_PREFIX = f"{PREFIX}alert:"
_BY_PREFIX = f"{PREFIX}alerts:by:"
_COOLDOWN_PREFIX = f"{PREFIX}cooldown:"


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


def severity_index_key(severity: str) -> str:
    return f"{_BY_PREFIX}severity:{severity}"


def alert_type_index_key(alert_type: str) -> str:
    return f"{_BY_PREFIX}alert_type:{alert_type}"


def status_index_key(status: str) -> str:
    return f"{_BY_PREFIX}status:{status}"


def cooldown_key(fingerprint: str) -> str:
    return f"{_COOLDOWN_PREFIX}{fingerprint}"


def outbox_entry(alert_id: str, notification: int) -> str:
    return f"{alert_id}:{notification}"


def parse_outbox_entry(raw: str | bytes) -> tuple[str, int]:
    """`{id}:{n}` → (id, n); ValueError for anything else."""
    raw = text(raw)
    alert_id, sep, index = raw.rpartition(":")
    if not sep or not alert_id or not index.isdigit():
        raise ValueError(f"not an outbox entry: {raw!r}")
    return alert_id, int(index)
