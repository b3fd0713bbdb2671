"""Liveness (/health, touches nothing), readiness (/ready: Redis and the schema), /metrics."""

import redis
from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST

from alertstore import layout, reader
from bridge import metrics
from bridge.store import get_redis

bp = Blueprint("health", __name__)

SERVICE = "taskmgr-alert-bridge"


@bp.get("/health")
def health():
    return jsonify(status="healthy", service=SERVICE)


@bp.get("/ready")
def ready():
    """200 when the history can be written; 503 naming what is wrong."""
    try:
        get_redis().ping()
        reader.check_schema(get_redis())
    except (redis.RedisError, layout.SchemaMismatch) as exc:
        body = jsonify(status="unavailable", service=SERVICE, redis=str(exc) or type(exc).__name__)
        return body, 503
    return jsonify(status="ready", service=SERVICE, redis="ok")


@bp.get("/metrics")
def metrics_view():
    body = metrics.exposition(get_redis(), current_app.config["BRIDGE"].multiproc_dir)
    return Response(body, content_type=CONTENT_TYPE_LATEST)
