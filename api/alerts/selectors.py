"""Every read of the alert history, through alertstore (the layout's reader)."""

from __future__ import annotations

import redis
from django.conf import settings
from rest_framework.exceptions import APIException, ValidationError

from alertstore import layout, reader, stats
from alertstore.records import AlertRecord
from taskmgr.redis_client import redis_client


class AlertHistoryUnavailable(APIException):
    status_code = 503
    default_detail = "The alert history is unavailable: Redis did not answer."
    default_code = "alert_history_unavailable"


def _read(read):
    """read(client) against a store we can read: 503 when Redis is away or holds another
    layout (an older store reads as empty otherwise; the message names the migration);
    400 naming `since` when the window holds more than a windowed read may read."""
    client = redis_client()
    try:
        reader.check_schema(client)
        return read(client)
    except redis.RedisError as exc:
        raise AlertHistoryUnavailable() from exc
    except layout.SchemaMismatch as exc:
        raise AlertHistoryUnavailable(f"The alert history is unavailable: {exc}") from exc
    except reader.WindowTooLarge as exc:
        raise ValidationError({"since": [str(exc)]}) from exc


def alert_list(
    *, offset: int, limit: int, q: str | None = None, **filters
) -> tuple[int, list[AlertRecord]]:
    """(total matching, one page of records), newest first. Filters: see AlertFilterSerializer;
    with a non-blank `q` a search (a scan of one window) instead of an index read."""
    if q:
        return _read(
            lambda client: reader.search_alerts(client, q, offset=offset, limit=limit, **filters)
        )
    return _read(lambda client: reader.list_alerts(client, offset=offset, limit=limit, **filters))


def alert_get(*, alert_id: str) -> AlertRecord | None:
    return _read(lambda client: reader.get_alert(client, alert_id))


def alert_stats(**window) -> dict:
    """Incident statistics of a window (alertstore.stats; since/until: AlertWindowSerializer)."""
    return _read(
        lambda client: stats.incident_stats(
            client, retention_days=settings.ALERT_HISTORY_RETENTION_DAYS, **window
        )
    )


def alert_store_check() -> None:
    """Readiness: raises unless Redis answers and the stored layout is the one we read."""
    reader.check_schema(redis_client())
