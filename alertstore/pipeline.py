"""The alert pipeline's own health as kept in Redis, and the one readiness body.

Written by the bridge (`record_heartbeat`, from `POST /heartbeat`) and the delivery worker
(`record_slack` after each final answer from Slack, `observe` from its monitor thread);
read by both readiness endpoints, the API's `/status` and the bridge's `/ready`, through
`report` and `readiness`, so both answer the same body:

    {"status": "ok" | "error",          200 | 503: the service's own dependencies
     "service": "...",
     "checks": {name: {"status": "ok"} | {"status": "error", "message": "..."}},
                (an "ok" check may carry a "message": usable, but part of it is lost)
     "pipeline": "ok" | "degraded",     never changes the HTTP status
     "pipeline_checks": {"heartbeat": {...}, "slack": {...}}}

A degraded pipeline keeps the 200: a 503 would pull a healthy API out of its load balancer
for a fault in Prometheus, Alertmanager or Slack.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import redis as redis_lib
import requests

from alertstore import layout, records

# Slack's answers that mean the webhook itself is refused (revoked, channel archived or
# gone): no message can get through, so it is pipeline health, not one message's failure.
SLACK_REFUSALS = (403, 404, 410)
# The pipeline's own always-firing alert (rule → Alertmanager → the bridge's /heartbeat):
# never an incident, never a record.
HEARTBEAT_ALERTNAME = "Heartbeat"
PROBE_TIMEOUT_SECONDS = 2.0


def record_heartbeat(redis: redis_lib.Redis, now: datetime) -> None:
    redis.set(layout.HEARTBEAT_KEY, records.isoformat(now))


def last_heartbeat(redis: redis_lib.Redis) -> datetime | None:
    raw = redis.get(layout.HEARTBEAT_KEY)
    return None if raw is None else datetime.fromisoformat(layout.text(raw))


def heartbeat_late(last: datetime | None, now: datetime, timeout_seconds: float) -> bool:
    return last is None or now - last > timedelta(seconds=timeout_seconds)


def record_slack(
    redis: redis_lib.Redis, *, http_status: int | None, detail: str | None, now: datetime
) -> str:
    """Remember Slack's last final answer: "refused" for SLACK_REFUSALS, else "ok"."""
    status = "refused" if http_status in SLACK_REFUSALS else "ok"
    redis.hset(
        layout.SLACK_HEALTH_KEY,
        mapping={
            "status": status,
            "http_status": "" if http_status is None else http_status,
            "at": records.isoformat(now),
            "detail": detail or "",
        },
    )
    return status


# KEYS: state hash. ARGV: wanted state (ok|broken), now. Returns {state, since} when this
# caller now owes the Slack message about it (and has claimed it: announced = 1), else false.
# ok → broken owes "broken"; broken → ok owes "recovered" only if "broken" was announced;
# the first ok owes nothing.
_OBSERVE = """
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= ARGV[1] then
  local owed = '0'
  if ARGV[1] == 'ok' and (not state or redis.call('HGET', KEYS[1], 'announced') ~= '1') then
    owed = '1'
  end
  redis.call('HSET', KEYS[1], 'state', ARGV[1], 'since', ARGV[2], 'announced', owed)
end
if redis.call('HGET', KEYS[1], 'announced') == '0' then
  redis.call('HSET', KEYS[1], 'announced', '1')
  return {ARGV[1], redis.call('HGET', KEYS[1], 'since')}
end
return false
"""
_UNCLAIM = """
local state, since = unpack(redis.call('HMGET', KEYS[1], 'state', 'since'))
if state == ARGV[1] and since == ARGV[2] then redis.call('HSET', KEYS[1], 'announced', '0') end
"""


def observe(redis: redis_lib.Redis, *, broken: bool, now: datetime) -> tuple[str, str] | None:
    """Record the pipeline's state; (state, since) when the caller must announce it in
    Slack. Atomic: of several workers observing the same change, one is told."""
    reply = redis.register_script(_OBSERVE)(
        keys=[layout.PIPELINE_STATE_KEY],
        args=["broken" if broken else "ok", records.isoformat(now)],
    )
    return None if reply is None else (layout.text(reply[0]), layout.text(reply[1]))


def unclaim(redis: redis_lib.Redis, state: str, since: str) -> None:
    """The announcement could not be posted: owe it again (unless the state moved on)."""
    redis.register_script(_UNCLAIM)(keys=[layout.PIPELINE_STATE_KEY], args=[state, since])


def locate_break(prometheus_url: str) -> str:
    """Which hop of Prometheus → Alertmanager → bridge stops the heartbeat, as far as
    Prometheus' API tells."""
    try:
        alerts = _prometheus(prometheus_url, "/api/v1/alerts")["alerts"]
        senders = _prometheus(prometheus_url, "/api/v1/alertmanagers")["activeAlertmanagers"]
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        return f"Prometheus at {prometheus_url} does not answer ({type(exc).__name__})"
    if not any(
        a.get("labels", {}).get("alertname") == HEARTBEAT_ALERTNAME and a.get("state") == "firing"
        for a in alerts
    ):
        return "Prometheus answers but does not fire the Heartbeat rule (rules not loaded?)"
    if not senders:
        return "Prometheus fires Heartbeat but has no Alertmanager to send it to"
    urls = ", ".join(sender.get("url", "?") for sender in senders)
    return (
        f"Prometheus fires Heartbeat and sends it to {urls}: Alertmanager's heartbeat route "
        "or its webhook to the bridge's /heartbeat is broken (or the bridge is down)"
    )


def _prometheus(base: str, path: str) -> dict:
    response = requests.get(f"{base.rstrip('/')}{path}", timeout=PROBE_TIMEOUT_SECONDS)
    response.raise_for_status()
    return response.json()["data"]


def unreadable(exc: Exception) -> dict:
    """The pipeline half when the store cannot be read: degraded, saying why."""
    problem = {"status": "error", "message": f"alert store unreadable: {type(exc).__name__}"}
    return {"pipeline": "degraded", "pipeline_checks": {"heartbeat": problem}}


def report(
    redis: redis_lib.Redis, *, now: datetime, timeout_seconds: float, prometheus_url: str
) -> dict:
    """The pipeline half of the readiness body (see the module docstring)."""
    try:
        last = last_heartbeat(redis)
        slack = {
            layout.text(k): layout.text(v)
            for k, v in redis.hgetall(layout.SLACK_HEALTH_KEY).items()
        }
    except redis_lib.RedisError as exc:
        return unreadable(exc)
    seen = None if last is None else records.isoformat(last)
    if heartbeat_late(last, now, timeout_seconds):
        since = f"since {seen}" if seen else "received yet"
        heartbeat = {
            "status": "error",
            "last": seen,
            "message": f"no heartbeat {since} (timeout {timeout_seconds:g}s): "
            + locate_break(prometheus_url),
        }
    else:
        heartbeat = {"status": "ok", "last": seen}
    if slack.get("status") == "refused":
        slack_check = {
            "status": "refused",
            "http_status": int(slack["http_status"]),
            "at": slack["at"],
            "message": f"Slack refuses the webhook (HTTP {slack['http_status']}): "
            f"{slack['detail']}; check SLACK_WEBHOOK_URL",
        }
    else:
        slack_check = {"status": "ok"}
    healthy = heartbeat["status"] == "ok" and slack_check["status"] == "ok"
    return {
        "pipeline": "ok" if healthy else "degraded",
        "pipeline_checks": {"heartbeat": heartbeat, "slack": slack_check},
    }


def readiness(service: str, checks: dict[str, dict], pipeline: dict) -> tuple[dict, int]:
    """The readiness body both services answer, and its HTTP status."""
    ready = all(check["status"] == "ok" for check in checks.values())
    body = {"status": "ok" if ready else "error", "service": service, "checks": checks}
    return {**body, **pipeline}, 200 if ready else 503
