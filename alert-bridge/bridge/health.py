"""Liveness (/health, touches nothing), readiness (/ready), /metrics.

/ready answers `alertstore.pipeline`'s readiness body, the same as the API's /status:
503 when the history cannot be written (Redis, schema); 200 otherwise, with the alert
pipeline's own health (heartbeat, Slack) reported beside it.
"""

from datetime import UTC, datetime

import redis
from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST

from alertstore import layout, pipeline, reader
from bridge import metrics
from bridge.store import get_redis

bp = Blueprint("health", __name__)

SERVICE = "taskmgr-alert-bridge"


@bp.get("/health")
def health():
    return jsonify(status="healthy", service=SERVICE)


def _check(probe) -> dict:
    try:
        probe()
    except (redis.RedisError, layout.SchemaMismatch) as exc:
        return {"status": "error", "message": f"{type(exc).__name__}: {exc}"}
    return {"status": "ok"}


@bp.get("/ready")
def ready():
    store = get_redis()
    config = current_app.config["BRIDGE"]
    checks = {
        "redis": _check(store.ping),
        "alert_history": _check(lambda: reader.check_schema(store)),
    }
    if checks["redis"]["status"] != "ok":  # one timeout is enough
        health_of_pipeline = pipeline.unreadable(redis.ConnectionError())
    else:
        health_of_pipeline = pipeline.report(
            store,
            now=datetime.now(UTC),
            timeout_seconds=config.heartbeat_timeout_seconds,
            prometheus_url=config.prometheus_url,
        )
    body, status = pipeline.readiness(SERVICE, checks, health_of_pipeline)
    return jsonify(body), status


@bp.get("/metrics")
def metrics_view():
    body = metrics.exposition(get_redis(), current_app.config["BRIDGE"].multiproc_dir)
    return Response(body, content_type=CONTENT_TYPE_LATEST)
