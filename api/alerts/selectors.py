"""Every read of the alert history, through alertstore.reader (the layout's reader)."""

from __future__ import annotations

import redis
from rest_framework.exceptions import APIException

from alertstore import reader
from alertstore.records import AlertRecord
from metrics.redis_client import redis_client


class AlertHistoryUnavailable(APIException):
    status_code = 503
    default_detail = "The alert history is unavailable: Redis did not answer."
    default_code = "alert_history_unavailable"


def alert_list(*, offset: int, limit: int, **filters) -> tuple[int, list[AlertRecord]]:
    """(total matching, one page of records), newest first. Filters: see AlertFilterSerializer."""
    try:
        return reader.list_alerts(redis_client(), offset=offset, limit=limit, **filters)
    except redis.RedisError as exc:
        raise AlertHistoryUnavailable() from exc


def alert_get(*, alert_id: str) -> AlertRecord | None:
    try:
        return reader.get_alert(redis_client(), alert_id)
    except redis.RedisError as exc:
        raise AlertHistoryUnavailable() from exc


def alert_store_check() -> None:
    """Readiness: raises unless Redis answers and the stored layout is the one we read."""
    reader.check_schema(redis_client())
