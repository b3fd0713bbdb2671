"""Every read of the alert history, through alertstore.reader (the layout's reader)."""

from __future__ import annotations

import redis
from rest_framework.exceptions import APIException

from alertstore import layout, reader
from alertstore.records import AlertRecord
from taskmgr.redis_client import redis_client


class AlertHistoryUnavailable(APIException):
    status_code = 503
    default_detail = "The alert history is unavailable: Redis did not answer."
    default_code = "alert_history_unavailable"


def _read(read):
    """read(client) against a store we can read: 503 when Redis is away or holds another
    layout (an older store reads as empty otherwise; the message names the migration)."""
    client = redis_client()
    try:
        reader.check_schema(client)
        return read(client)
    except redis.RedisError as exc:
        raise AlertHistoryUnavailable() from exc
    except layout.SchemaMismatch as exc:
        raise AlertHistoryUnavailable(f"The alert history is unavailable: {exc}") from exc


def alert_list(*, offset: int, limit: int, **filters) -> tuple[int, list[AlertRecord]]:
    """(total matching, one page of records), newest first. Filters: see AlertFilterSerializer."""
    return _read(lambda client: reader.list_alerts(client, offset=offset, limit=limit, **filters))


def alert_get(*, alert_id: str) -> AlertRecord | None:
    return _read(lambda client: reader.get_alert(client, alert_id))


def alert_store_check() -> None:
    """Readiness: raises unless Redis answers and the stored layout is the one we read."""
    reader.check_schema(redis_client())
