"""Every bridge metric, defined once, and the exposition for the web app.

The web app runs under gunicorn with several workers, so its /metrics reads the
multiprocess directory when one is configured (procmetrics, shared with the API). The
delivery worker is a single process and serves the default registry on its own port
(Prometheus job taskmgr-bridge-worker).

Every labelled counter and histogram has a series for each known label value from the
start, so a fresh process exports them at 0: Grafana shows 0 rather than "no data", and
rate() has its first sample before the first event (a series born with its first event
loses that event).
"""

from __future__ import annotations

import logging
import typing

import redis as redis_lib
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

import procmetrics
from alertstore import outbox, records, writer

log = logging.getLogger(__name__)

WEBHOOK_OUTCOMES = ("accepted", "unauthorized", "invalid", "too_large", "unavailable")
# The store owns the vocabulary of transitions; follow it rather than copy it. "held" is
# the webhook's question to itself (writer.record_transitions' hold_reopens), never stored.
TRANSITIONS = tuple(
    t for t in typing.get_args(typing.get_type_hints(writer.Outcome)["transition"]) if t != "held"
)
DELIVERY_OUTCOMES = ("ok", "failed", "retried")
# A webhook's alerts that Prometheus contradicts (bridge.prom): how often a pair's or a
# cluster's disagreement would have paged falsely.
LEFT_OUT_REASONS = ("resolve_still_firing", "firing_already_over")

WEBHOOKS_RECEIVED = Counter(
    "taskmgr_bridge_webhooks_received_total",
    f"Webhook requests by outcome ({', '.join(WEBHOOK_OUTCOMES)}).",
    ["outcome"],
)
ALERTS_STORED = Counter(
    "taskmgr_bridge_alerts_stored_total",
    f"Alerts written to the history by transition ({', '.join(TRANSITIONS)}).",
    ["transition"],
)
ALERTS_LEFT_OUT = Counter(
    "taskmgr_bridge_alerts_left_out_total",
    "Webhook alerts not stored because Prometheus contradicts them, by reason "
    "(resolve_still_firing: a resolve held while a Prometheus still fires the alert; "
    "firing_already_over: an old firing of a resolved record that Prometheus saw end).",
    ["reason"],
)
SLACK_DELIVERIES = Counter(
    "taskmgr_bridge_slack_deliveries_total",
    f"Slack delivery attempts by outcome ({', '.join(DELIVERY_OUTCOMES)}).",
    ["outcome"],
)
# Slack's 2xx for a firing message minus the alert's startsAt (records' time_to_page_seconds),
# observed by the delivery worker. startsAt includes the rule's `for` and Alertmanager's
# group_wait, so pages take seconds in the fast profile and minutes in production; the
# buckets resolve both, up to an hour of Slack outage.
TIME_TO_PAGE_BUCKETS = (1, 2, 5, 10, 15, 30, 60, 90, 120, 180, 300, 450, 600, 900, 1800, 3600)
TIME_TO_PAGE = Histogram(
    "taskmgr_bridge_time_to_page_seconds",
    "Seconds from an alert's startsAt to Slack accepting its firing message, by severity.",
    ["severity"],
    buckets=TIME_TO_PAGE_BUCKETS,
)


def declare_known_series() -> None:
    """Create every known label value's series (at 0); idempotent and cheap."""
    for metric, values in (
        (WEBHOOKS_RECEIVED, WEBHOOK_OUTCOMES),
        (ALERTS_STORED, TRANSITIONS),
        (ALERTS_LEFT_OUT, LEFT_OUT_REASONS),
        (SLACK_DELIVERIES, DELIVERY_OUTCOMES),
        (TIME_TO_PAGE, records.SEVERITIES),
    ):
        for value in values:
            metric.labels(value)


# A single process (the delivery worker, tests) declares them at import. Under gunicorn the
# master imports this module before it creates the multiprocess folder, so there the worker
# answering a scrape declares them (the merged scrape shows them from the first one on).
if not procmetrics.multiprocess_mode():
    declare_known_series()


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
    declare_known_series()
    return procmetrics.exposition(multiproc_dir, OutboxDepth(redis))
