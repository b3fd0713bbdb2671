"""The bare webhook a user might write instead of the bridge: bench/ingest.py's reference.

    cd alert-bridge && gunicorn -c gunicorn.conf.py "bench.reference_webhook:create_app()"

Under the bridge's own gunicorn settings, POST /webhook parses the Alertmanager v4 payload,
validates what a history needs (version, status, alerts with labels, fingerprint, startsAt)
and stores each alert with one Lua call: its record JSON and one index entry. No
authentication, no metrics, no outbox, no lifecycle: what our bridge does beyond this is
what issue 16 asks it to pay for within 0.8 of this app's rate.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime

import redis
from flask import Flask, jsonify, request

KEY_PREFIX = "bench-reference:"
INDEX_KEY = f"{KEY_PREFIX}index"
# KEYS: index, then one record key per alert. ARGV: per alert, its record JSON and score.
_STORE = """
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[2 * i - 3])
  redis.call('ZADD', KEYS[1], ARGV[2 * i - 2], KEYS[i])
end
return #KEYS - 1
"""


def _invalid(message: str):
    response = jsonify(detail=message)
    response.status_code = 400
    return response


def _record(alert: object) -> tuple[str, dict, float] | str:
    """(id, record, score), or what is wrong with the alert."""
    if not isinstance(alert, dict):
        return "alert must be an object"
    labels, fingerprint = alert.get("labels"), alert.get("fingerprint")
    if not isinstance(labels, dict) or not labels.get("alertname"):
        return "labels.alertname is required"
    if not isinstance(fingerprint, str) or not fingerprint:
        return "fingerprint is required"
    if alert.get("status") not in ("firing", "resolved"):
        return "status must be firing or resolved"
    try:
        starts_at = datetime.fromisoformat(alert["startsAt"])
    except (KeyError, TypeError, ValueError):
        return "startsAt must be an RFC 3339 time"
    alert_id = hashlib.sha256(f"{fingerprint}|{alert['startsAt']}".encode()).hexdigest()[:20]
    return alert_id, {"id": alert_id, **alert}, starts_at.timestamp()


def create_app() -> Flask:
    app = Flask(__name__)
    store = redis.Redis.from_url(os.environ["REDIS_URL"])
    script = store.register_script(_STORE)

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    @app.post("/webhook")
    def receive():
        document = request.get_json(silent=True)
        if not isinstance(document, dict) or document.get("version") != "4":
            return _invalid("body must be an Alertmanager v4 webhook")
        alerts = document.get("alerts")
        if not isinstance(alerts, list) or not alerts:
            return _invalid("alerts must be a non-empty list")
        keys, args = [INDEX_KEY], []
        for alert in alerts:
            parsed = _record(alert)
            if isinstance(parsed, str):
                return _invalid(parsed)
            alert_id, record, score = parsed
            keys.append(f"{KEY_PREFIX}alert:{alert_id}")
            args += [json.dumps(record, separators=(",", ":")), score]
        try:
            stored = script(keys=keys, args=args)
        except redis.RedisError:
            response = jsonify(detail="store unavailable")
            response.status_code = 503
            return response
        return jsonify(status="stored", alerts=stored)

    return app
