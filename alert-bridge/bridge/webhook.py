"""POST /webhook: token → payload → one atomic write of the history and its outbox.

A 2xx means every alert of the payload is stored and its Slack message queued; Slack
itself is the delivery worker's business, so it never slows this answer down. Heartbeat
alerts (`alertname="Heartbeat"`) are the pipeline watching itself, not incidents: they
belong on /heartbeat, and one that arrives here is accepted and stores nothing.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import UTC, datetime

import redis
from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from alertstore import layout, writer
from bridge import metrics
from bridge.auth import token_required
from bridge.errors import json_error
from bridge.payload import HEARTBEAT_ALERTNAME, PayloadError, parse_webhook
from bridge.store import get_redis

log = logging.getLogger(__name__)

bp = Blueprint("webhook", __name__)


def _refuse(outcome: str, status: int, message: str, **details):
    metrics.WEBHOOKS_RECEIVED.labels(outcome=outcome).inc()
    return json_error(status, message, **details)


@bp.post("/webhook")
@token_required
def receive():
    """200 stored · 400 invalid payload · 401 bad token · 413 too large · 503 Redis away."""
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        limit = current_app.config["BRIDGE"].max_body_bytes
        return _refuse("too_large", 413, f"request body is larger than {limit} bytes")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        return _refuse("invalid", 400, f"body is not valid JSON: {exc}")
    try:
        events = parse_webhook(document)
    except PayloadError as exc:
        return _refuse("invalid", 400, str(exc), field=exc.field)

    events = [e for e in events if e.labels["alertname"] != HEARTBEAT_ALERTNAME]
    config = current_app.config["BRIDGE"]
    try:
        outcomes = writer.record_transitions(
            get_redis(),
            events,
            now=datetime.now(UTC),
            cooldown_seconds=config.cooldown_seconds,
            flap_window_seconds=config.flap_window_seconds,
        )
    except (redis.RedisError, layout.SchemaMismatch) as exc:
        log.error("alert store unavailable, Alertmanager will retry: %s", exc)
        return _refuse("unavailable", 503, "alert store unavailable; retry later")

    metrics.WEBHOOKS_RECEIVED.labels(outcome="accepted").inc()
    transitions = Counter(outcome.transition for outcome in outcomes)
    for transition, count in transitions.items():
        metrics.ALERTS_STORED.labels(transition=transition).inc(count)
    enqueued = sum(outcome.enqueued is not None for outcome in outcomes)
    superseded = sum(outcome.superseded is not None for outcome in outcomes)
    log.info(
        "webhook from %r: %d alerts, %s, %d messages queued, %d older instances resolved",
        document["receiver"],
        len(outcomes),
        dict(transitions),
        enqueued,
        superseded,
    )
    return jsonify(
        status="stored",
        alerts=[
            {
                "id": o.alert_id,
                "transition": o.transition,
                "enqueued": o.enqueued,
                "superseded": o.superseded,
            }
            for o in outcomes
        ],
        enqueued=enqueued,
    )
