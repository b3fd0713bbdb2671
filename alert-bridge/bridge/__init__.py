"""The alert bridge: Alertmanager webhooks → alert history in Redis → Slack outbox."""

from __future__ import annotations

from flask import Flask

from bridge import ack, errors, health, heartbeat, runbook, store, webhook
from bridge.config import BridgeConfig


def create_app(config: BridgeConfig | None = None) -> Flask:
    """Build the web app; without `config`, read it from the environment (ConfigError)."""
    config = config or BridgeConfig.from_env()
    app = Flask(__name__)
    app.config["BRIDGE"] = config
    # Werkzeug refuses larger bodies with 413 before the payload is read.
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    errors.init_app(app)
    store.init_app(app)
    app.register_blueprint(webhook.bp)
    app.register_blueprint(heartbeat.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(ack.bp)
    runbook.init_app(app)
    return app
