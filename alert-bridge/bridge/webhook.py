"""POST /webhook: token → payload → measure in Prometheus → one atomic write of the
history and its outbox.

A 2xx means every alert of the payload is stored and its Slack message queued (but for a
resolve held back while a Prometheus still fires the alert, and an old firing of a resolved
record that no Prometheus fires: `bridge.prom`) (and, with
REDIS_WAIT_REPLICAS, held by that many replicas: `WAIT` after the write, else 503); Slack
itself is the delivery worker's business, so it never slows this answer down. Before the
write, a firing that creates a record and a resolve that ends one are measured in
Prometheus (culprits; value at resolve and peak) within PROMETHEUS_QUERY_BUDGET_SECONDS,
so the stored record already holds what its message shows (why before and not after the
write: `bridge.prom`). Heartbeat
alerts (`alertname="Heartbeat"`) are the pipeline watching itself, not incidents: they
belong on /heartbeat, and one that arrives here is accepted and stores nothing.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

import redis
from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from alertstore import connection, layout, records, writer
from alertstore.pipeline import HEARTBEAT_ALERTNAME
from bridge import metrics, prom
from bridge.auth import token_required
from bridge.errors import json_error
from bridge.payload import PayloadError, parse_webhook
from bridge.store import get_redis

log = logging.getLogger(__name__)

bp = Blueprint("webhook", __name__)


def _refuse(outcome: str, status: int, message: str, **details):
    metrics.WEBHOOKS_RECEIVED.labels(outcome=outcome).inc()
    return json_error(status, message, **details)


@bp.post("/webhook")
@token_required
def receive():
    """200 stored · 400 invalid payload · 401 bad token · 413 too large · 503 Redis away
    or the write not on enough replicas within REDIS_WAIT_TIMEOUT_MS."""
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
    now = datetime.now(UTC)
    try:
        events = _measured(get_redis(), events, now, config)
        # with WAIT, one connection for the write and its WAIT (which covers that
        # connection's writes)
        with config.durability.session(get_redis()) as store:
            outcomes = _stored(store, events, now, config)
            config.durability.confirm(store)
    except connection.NotReplicated as exc:
        # stored on the primary, maybe not beyond: a failover could lose it, so no 2xx;
        # Alertmanager's retry rewrites it idempotently
        log.error("alert write not replicated, Alertmanager will retry: %s", exc)
        return _refuse("unavailable", 503, "alert store not replicated; retry later")
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


def _measured(
    redis_client: redis.Redis, events: list[records.AlertEvent], now: datetime, config
) -> list[records.AlertEvent]:
    """The events with what Prometheus says of them (`facts`), asked within the budget;
    only events that will create or resolve a record are measured, and a resolve of a
    firing record that a Prometheus still fires is held back: left out (bridge.prom)."""
    wanted = [e for e in events if e.labels["alertname"] in prom.SERIES or e.status == "resolved"]
    if not wanted:
        return events
    # the record each applies to, found as the writer finds it: a resolve can carry the
    # other replica's startsAt, and must still be held while that record fires
    statuses = writer.statuses_of(
        redis_client, wanted, starts_at_tolerance_seconds=config.starts_at_tolerance_seconds
    )
    questions = {}  # id(event) → its questions
    for event, status in zip(wanted, statuses, strict=True):
        if event.status == "firing" and status is None:
            own = prom.culprit_queries(event, now)
        elif event.status == "resolved" and status in (None, "firing"):
            ends = min(event.ends_at or now, now)
            own = prom.resolve_queries(event.labels["alertname"], event.starts_at, ends)
            if status == "firing":
                own |= prom.firing_queries(event, config.prometheus_query_urls, now)
        else:
            continue
        if own:
            questions[id(event)] = own
    if not questions:
        return events
    answered = dict(zip(questions, _ask_each(list(questions.values()), config), strict=True))
    measured = []
    for event in events:
        own = answered.get(id(event))
        if own is None:
            measured.append(event)
            continue
        firing, _ = prom.firing_at(own)
        if firing:
            metrics.ALERTS_LEFT_OUT.labels(reason="resolve_still_firing").inc()
            log.info(
                "resolve of %s (%s) held: still firing at %s",
                event.labels["alertname"],
                event.fingerprint,
                ", ".join(firing),
            )
            continue
        facts = {**prom.culprit_facts(event, own), **prom.resolve_facts(own)}
        for note in (facts.get("culprits_note"), facts.get("resolved_note")):
            if note and note.startswith("Prometheus"):
                log.warning("measuring %s: %s", event.labels["alertname"], note)
        measured.append(replace(event, facts=facts))
    return measured


def _stored(
    store: redis.Redis, events: list[records.AlertEvent], now: datetime, config
) -> list[writer.Outcome]:
    """Write the events; a firing that would reopen a resolved record is first held by the
    writer and asked of Prometheus (bridge.prom): stored again when a Prometheus still fires
    it or none that fired it answered, left out when one that fired it says it is over (an old
    FIRING from a clustered peer after the RESOLVED; one that never fired it decides
    nothing)."""

    def write(batch, hold_reopens):
        return writer.record_transitions(
            store,
            batch,
            now=now,
            cooldown_seconds=config.cooldown_seconds,
            flap_window_seconds=config.flap_window_seconds,
            starts_at_tolerance_seconds=config.starts_at_tolerance_seconds,
            hold_reopens=hold_reopens,
        )

    outcomes = write(events, True)
    held = [e for e, o in zip(events, outcomes, strict=True) if o.transition == "held"]
    if not held:
        return outcomes
    questions = [prom.firing_queries(e, config.prometheus_query_urls, now) for e in held]
    confirmed = []
    for event, own in zip(held, _ask_each(questions, config), strict=True):
        firing, over = prom.firing_at(own)
        if firing or not over:
            confirmed.append(event)
        else:
            metrics.ALERTS_LEFT_OUT.labels(reason="firing_already_over").inc()
            log.info(
                "firing of resolved %s (%s) dropped: over at %s, firing nowhere",
                event.labels["alertname"],
                event.fingerprint,
                ", ".join(over),
            )
    reopened = dict(zip(map(id, confirmed), write(confirmed, False), strict=True))
    return [
        reopened.get(id(e), o)
        for e, o in zip(events, outcomes, strict=True)
        if o.transition != "held" or id(e) in reopened
    ]


def _ask_each(questions: list[dict[str, prom.Query]], config) -> list[dict]:
    """Every event's questions in one concurrent batch under the one budget; each event's
    answers under its own names, in order."""
    flat = {f"{i}:{name}": query for i, own in enumerate(questions) for name, query in own.items()}
    answers = prom.Prometheus(
        config.prometheus_query_urls, config.prometheus_query_budget_seconds
    ).ask(flat)
    return [{name: answers[f"{i}:{name}"] for name in own} for i, own in enumerate(questions)]
