"""Reconcile firing records with what Alertmanager still has (issue 11: no record stays
firing once its alert is gone).

Alertmanager never sends some resolves: an instance whose resolve and re-fire merged in
one group interval, a silenced or inhibited alert that ends. So every
`reconcile_interval_seconds` the delivery worker's thread (`run`) asks every Alertmanager
in `alertmanager_urls` for its alerts (`GET /api/v2/alerts`: active, silenced, inhibited
and unprocessed; resolved ones are not listed), and for each firing record:

* no Alertmanager that answered has its instance (fingerprint + startsAt, within the
  tolerance of `records.same_instance`: a Prometheus pair's Alertmanagers may hold the
  other replica's startsAt, layout.py "Record identity"), in every round for at least
  `alertmanager_warmup_seconds` (see "Missing for a while" below) → resolved,
  resolution "inferred" (`writer.resolve_inferred`, a resolved message that says so), with
  the value at resolve and the peak asked of Prometheus first, within the budget
  (`bridge.prom`: the message is built from the record, so they are stored with it);
  when one has a *newer* instance of the same fingerprint instead (a resolve and a re-fire
  merged in one group interval: Alertmanager sees the same firing group and sends nothing
  until its repeat), that instance's firing is stored as a webhook's would be, which
  resolves the older by inference in the same script and pages the newer;
* every Alertmanager that has it mutes it → `suppressed_by` silenced (if any silence) or
  inhibited; one that has it unmuted → no longer suppressed (`writer.mark_suppressed`).

An Alertmanager that cannot be reached, or answers nonsense, decides nothing; when none
answers, nothing changes. Nor does one that started less than `alertmanager_warmup_seconds`
ago (its `/api/v2/status` uptime): Alertmanager keeps no alerts across a restart, and
until Prometheus has re-sent them (each resend delay) its empty list would resolve every
record falsely, while its kept notification log would hold back the FIRING that should
follow. Records are read *before* asking: a record stored after the
question could be missing from the answers only because it is newer. Heartbeat alerts are
not incidents and are ignored. What each outcome does to a record is alertstore.lifecycle's.

Missing for a while. One round's answer is a snapshot, and under a Prometheus pair it can
miss an instance that still fires: when one replica resolves an alert a moment before the
other, each Alertmanager holds it resolved (the first's resolve, re-sent every resend
delay) until the other's next firing copy makes it firing again. Inferring a resolve in
that moment pages RESOLVED, and the still-firing copy then reopens the record: FIRING,
RESOLVED, FIRING. So an instance is resolved only once every round has missed it from a
first one at least `alertmanager_warmup_seconds` earlier (two resend delays and an
evaluation: the time a firing Prometheus takes to re-send every alert, the warm-up's own
reason); a round that sees it again forgets it. `run` carries what each round found
missing (`Result.missing`) into the next, in memory: a restarted worker starts counting
again, which only delays an inferred resolve. 0 resolves at the first round that misses
it. A round in which no Alertmanager answered saw nothing and keeps what was missing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis as redis_lib
import requests

from alertstore import layout, lifecycle, reader, records, writer
from alertstore.pipeline import HEARTBEAT_ALERTNAME
from bridge import prom
from bridge.config import BridgeConfig
from bridge.payload import PayloadError, parse_alert, parse_time

log = logging.getLogger("bridge.reconcile")

HTTP_TIMEOUT_SECONDS = 5.0
# what a webhook says of a firing alert's end; the API says when it would time out instead
ZERO_TIME = "0001-01-01T00:00:00Z"

HttpGet = Callable[[str], object]  # url → decoded JSON; raises when it cannot answer


@dataclass
class Result:
    """What one round found and did: ids resolved and (re)marked, and the ids of firing
    records whose instance is missing but not yet for long enough, since when."""

    answered: int = 0
    resolved: list[str] = field(default_factory=list)
    marked: dict[str, str | None] = field(default_factory=dict)
    missing: dict[str, datetime] = field(default_factory=dict)


def http_get(url: str) -> object:
    response = requests.get(url, timeout=HTTP_TIMEOUT_SECONDS)
    response.raise_for_status()
    return response.json()


@dataclass
class View:
    """One Alertmanager's answer: {fingerprint: [(startsAt, mute: silenced, inhibited or
    None), ...]}, and the newest unmuted instance it has of each fingerprint, as the
    firing event a webhook would carry."""

    instances: dict[str, list[tuple[datetime, str | None]]] = field(default_factory=dict)
    newest: dict[str, records.AlertEvent] = field(default_factory=dict)

    def mutes_of(self, record: dict, tolerance_seconds: float) -> list[str | None]:
        """The mutes of its instances that are the record's ([]: it has none of them)."""
        starts_at = datetime.fromisoformat(record["starts_at"])
        return [
            mute
            for at, mute in self.instances.get(record["fingerprint"], ())
            if records.same_instance(at, starts_at, tolerance_seconds)
        ]


def _instances(alerts: object) -> View:
    """Alertmanager's alert list → its View; ValueError when it is not such a list."""
    if not isinstance(alerts, list):
        raise ValueError("not a list of alerts")
    found = View()
    for alert in alerts:
        try:
            if alert["labels"].get("alertname") == HEARTBEAT_ALERTNAME:
                continue
            starts_at = parse_time(alert["startsAt"], "startsAt")
            status = alert.get("status") or {}
        except (KeyError, TypeError, AttributeError, PayloadError) as exc:
            raise ValueError(f"not an Alertmanager alert: {exc}") from exc
        if starts_at is None or not isinstance(alert.get("fingerprint"), str):
            raise ValueError("an alert without fingerprint or startsAt")
        mute = next((by for by in lifecycle.MUTES if status.get(f"{by}By")), None)
        found.instances.setdefault(alert["fingerprint"], []).append((starts_at, mute))
        newest = found.newest.get(alert["fingerprint"])
        if mute is None and (newest is None or newest.starts_at < starts_at):
            try:  # the webhook's own parser: the same event, the same validation
                found.newest[alert["fingerprint"]] = parse_alert(
                    {**alert, "status": "firing", "endsAt": ZERO_TIME}
                )
            except PayloadError as exc:
                raise ValueError(f"not an Alertmanager alert: {exc}") from exc
    return found


def _mute(mutes: list[str | None]) -> str | None:
    """Muted only if every Alertmanager that has it mutes it; silenced wins over inhibited."""
    if None in mutes:
        return None
    return "silenced" if "silenced" in mutes else "inhibited"


def _successor(
    views: list[View], record: dict, tolerance_seconds: float
) -> records.AlertEvent | None:
    """A newer instance of the record's fingerprint that some Alertmanager has, unmuted
    (later than the tolerance allows for the same instance)."""
    starts_at = datetime.fromisoformat(record["starts_at"])
    newer = [
        event
        for view in views
        if (event := view.newest.get(record["fingerprint"])) is not None
        and event.starts_at > starts_at
        and not records.same_instance(event.starts_at, starts_at, tolerance_seconds)
    ]
    return max(newer, key=lambda event: event.starts_at, default=None)


def _warming_up(http_get: HttpGet, url: str, now: datetime, warmup_seconds: float) -> bool:
    """Alertmanager started less than `warmup_seconds` ago (0: no warm-up); ValueError
    for a bad answer."""
    if warmup_seconds <= 0:
        return False
    status = http_get(f"{url}/api/v2/status")
    try:
        started = parse_time(status["uptime"], "uptime")
    except (KeyError, TypeError, PayloadError) as exc:
        raise ValueError(f"no uptime in its status: {exc}") from exc
    return started is None or (now - started).total_seconds() < warmup_seconds


def reconcile_once(
    redis: redis_lib.Redis,
    alertmanager_urls: Iterable[str],
    now: datetime,
    http_get: HttpGet = http_get,
    *,
    cooldown_seconds: int,
    flap_window_seconds: int,
    starts_at_tolerance_seconds: float,
    warmup_seconds: float,
    missing_since: Mapping[str, datetime] | None = None,
    prometheus: prom.Prometheus | None = None,
) -> Result:
    """One round; `missing_since` is the previous round's `Result.missing` (None: none)."""
    missing_since = missing_since or {}
    firing = reader.firing_records(redis)  # before asking: see the module docstring
    views = []
    for url in (url.rstrip("/") for url in alertmanager_urls):
        try:
            if _warming_up(http_get, url, now, warmup_seconds):
                log.info("reconcile: %s started less than %gs ago", url, warmup_seconds)
                continue
            views.append(_instances(http_get(f"{url}/api/v2/alerts")))
        except (requests.RequestException, ValueError) as exc:
            log.warning("reconcile: %s decides nothing this round: %s", url, exc)
    result = Result(answered=len(views))
    if not views:
        result.missing = dict(missing_since)
        return result
    for record in firing:
        alert_id = record["id"]
        held = [view.mutes_of(record, starts_at_tolerance_seconds) for view in views]
        if not any(held):
            since = missing_since.get(alert_id, now)
            if (now - since).total_seconds() < warmup_seconds:
                result.missing[alert_id] = since
                continue
            successor = _successor(views, record, starts_at_tolerance_seconds)
            if successor is not None:
                writer.record_transitions(
                    redis,
                    [successor],
                    now=now,
                    cooldown_seconds=cooldown_seconds,
                    flap_window_seconds=flap_window_seconds,
                    starts_at_tolerance_seconds=starts_at_tolerance_seconds,
                )
                result.resolved.append(alert_id)
            else:
                facts = _measured_resolve(prometheus, record, now)
                if writer.resolve_inferred(redis, alert_id, now=now, facts=facts).transition == (
                    "updated"
                ):
                    result.resolved.append(alert_id)
            continue
        mute = _mute([mute for mutes in held for mute in mutes])
        current = record["suppressed_by"]
        # "cooldown" (records from before issue 11) is history, not a mute to lift
        if mute != current and (mute is not None or current in lifecycle.MUTES):
            writer.mark_suppressed(redis, alert_id, mute, now=now)
            result.marked[alert_id] = mute
    return result


def _measured_resolve(prometheus: prom.Prometheus | None, record: dict, now: datetime) -> dict:
    """Value at resolve and peak of a record about to be resolved ({} when not asked)."""
    if prometheus is None:
        return {}
    starts_at = datetime.fromisoformat(record["starts_at"])
    queries = prom.resolve_queries(record["alertname"], starts_at, now)
    return prom.resolve_facts(prometheus.ask(queries)) if queries else {}


def run(config: BridgeConfig, redis: redis_lib.Redis, stop: threading.Event) -> None:
    """Reconcile every `reconcile_interval_seconds` until `stop` is set; Redis errors are
    logged and the next round tries again."""
    if not config.alertmanager_urls:
        log.warning("reconcile: no ALERTMANAGER_URLS, records are not reconciled")
        return
    missing: dict[str, datetime] = {}
    while not stop.is_set():
        try:
            result = reconcile_once(
                redis,
                config.alertmanager_urls,
                datetime.now(UTC),
                cooldown_seconds=config.cooldown_seconds,
                flap_window_seconds=config.flap_window_seconds,
                starts_at_tolerance_seconds=config.starts_at_tolerance_seconds,
                warmup_seconds=config.alertmanager_warmup_seconds,
                missing_since=missing,
                prometheus=prom.Prometheus(
                    config.prometheus_query_urls, config.prometheus_query_budget_seconds
                ),
            )
        except (redis_lib.RedisError, layout.SchemaMismatch) as exc:
            log.warning("reconcile: round skipped: %s", exc)
        else:
            if newly := result.missing.keys() - missing.keys():
                log.info(
                    "reconcile: %s missing; resolved if still missing for %gs",
                    sorted(newly),
                    config.alertmanager_warmup_seconds,
                )
            missing = result.missing
            if result.resolved or result.marked:
                log.info(
                    "reconcile: %d of %d Alertmanagers answered; resolved %s, marked %s",
                    result.answered,
                    len(config.alertmanager_urls),
                    result.resolved,
                    result.marked,
                )
        stop.wait(config.reconcile_interval_seconds)
