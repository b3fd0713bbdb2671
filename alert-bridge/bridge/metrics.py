"""Every bridge metric, defined once, and the exposition for the web app.

The web app runs under gunicorn with several workers, so its /metrics reads the
multiprocess directory when one is configured. The delivery worker is a single process
and serves the default registry on its own port (Prometheus job taskmgr-bridge-worker).
"""

from __future__ import annotations

import logging

import redis as redis_lib
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from alertstore import outbox

log = logging.getLogger(__name__)

WEBHOOKS_RECEIVED = Counter(
    "taskmgr_bridge_webhooks_received_total",
    "Webhook requests by outcome (accepted, unauthorized, invalid, too_large, unavailable).",
    ["outcome"],
)
ALERTS_STORED = Counter(
    "taskmgr_bridge_alerts_stored_total",
    "Alerts written to the history by transition (created, updated, duplicate).",
    ["transition"],
)
SLACK_DELIVERIES = Counter(
    "taskmgr_bridge_slack_deliveries_total",
    "Slack delivery attempts by outcome (ok, failed, retried).",
    ["outcome"],
)


class OutboxDepth:
    """`taskmgr_bridge_outbox_depth`, read from Redis at scrape time (LLEN, not a stored
    value, so every process reports the same truth)."""

    def __init__(self, redis: redis_lib.Redis) -> None:
        self.redis = redis

    def collect(self):
        try:
            depth = outbox.depth(self.redis)
        except redis_lib.RedisError as exc:
            # A scrape must not fail because Redis is away; the gap in the series says it.
            log.warning("outbox depth unavailable: %s", exc)
            return
        yield GaugeMetricFamily(
            "taskmgr_bridge_outbox_depth",
            "Slack notifications not yet delivered (pending + in delivery).",
            value=depth,
        )


def exposition(redis: redis_lib.Redis, multiproc_dir: str | None) -> bytes:
    """The text format: this service's counters plus the outbox depth."""
    if multiproc_dir:
        counters = CollectorRegistry()
        multiprocess.MultiProcessCollector(counters, path=multiproc_dir)
    else:
        counters = REGISTRY
    depth = CollectorRegistry()
    depth.register(OutboxDepth(redis))
    return generate_latest(counters) + generate_latest(depth)
