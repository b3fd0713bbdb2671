"""POST /heartbeat: Alertmanager's webhook (payload version 4) for the always-firing
Heartbeat rule. It stores the time it arrived (`alertstore.pipeline`), never a history
record; the delivery worker's monitor pages when it stops arriving.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import redis
from flask import Blueprint, jsonify, request

from alertstore import pipeline
from alertstore.pipeline import HEARTBEAT_ALERTNAME
from bridge.auth import token_required
from bridge.errors import json_error
from bridge.store import get_redis

log = logging.getLogger(__name__)

bp = Blueprint("heartbeat", __name__)


class NotAHeartbeat(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def firing_heartbeats(document) -> int:
    """How many firing Heartbeat alerts the payload carries; NotAHeartbeat names what is
    wrong. A resolved Heartbeat (the rule stopped) is no heartbeat."""
    if not isinstance(document, dict):
        raise NotAHeartbeat("body", "must be a JSON object (Alertmanager webhook payload)")
    if document.get("version") != "4":
        raise NotAHeartbeat("version", f'must be "4", got {document.get("version")!r}')
    alerts = document.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise NotAHeartbeat("alerts", "must be a non-empty list")
    firing = 0
    for i, alert in enumerate(alerts):
        labels = alert.get("labels") if isinstance(alert, dict) else None
        name = labels.get("alertname") if isinstance(labels, dict) else None
        if name != HEARTBEAT_ALERTNAME:
            raise NotAHeartbeat(
                f"alerts[{i}].labels.alertname", f"must be {HEARTBEAT_ALERTNAME!r}, got {name!r}"
            )
        firing += alert.get("status") == "firing"
    return firing


@bp.post("/heartbeat")
@token_required
def receive():
    """200 stored or ignored · 400 not a heartbeat · 401 bad token · 503 Redis away."""
    document = request.get_json(silent=True)
    if document is None:
        return json_error(400, "body is not valid JSON", field="body")
    try:
        firing = firing_heartbeats(document)
    except NotAHeartbeat as exc:
        return json_error(400, str(exc), field=exc.field)
    if not firing:
        return jsonify(status="ignored", reason="no firing Heartbeat alert")
    now = datetime.now(UTC)
    try:
        pipeline.record_heartbeat(get_redis(), now)
    except redis.RedisError as exc:
        log.error("alert store unavailable, Alertmanager will retry the heartbeat: %s", exc)
        return json_error(503, "alert store unavailable; retry later")
    return jsonify(status="stored", at=now.isoformat())
