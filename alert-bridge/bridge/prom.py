"""What the bridge asks Prometheus about an alert, within a budget (issue 12).

* When a transition to firing is stored for HighErrorRate or HighLatency: the routes where
  it breaks (`culprits`): the top `records.MAX_CULPRITS` route templates of the per-route
  record (`route:taskmgr_http_errors_per_requests:ratio` for HighErrorRate, only routes
  above 0; `route:taskmgr_http_request_duration_seconds:p95` for HighLatency, only routes
  above the threshold), worst first, in the alert's unit (%, ms).
* When one resolves: the alert's recorded series at the resolve (`resolved_value`) and its
  peak from `starts_at` to the resolve (`peak_value`, `max_over_time`), both at the resolve
  (Alertmanager's `endsAt`, or now), so value, peak and `duration_seconds` cover one window.
  The webhook asks for a resolve Alertmanager sends; reconciliation (bridge.reconcile, in
  the delivery worker) for one it infers — on the fast profile it often sees the alert
  gone before Alertmanager's resolve arrives.

Each question is asked of PROMETHEUS_URLS in order (the servers of a pair, or a long-term
store) until one answers, the first answer winning; a refused connection moves on at once,
and each URL may spend only its share of the time left (the last one all of it), so a dead
or hung server leaves time for the next. The
queries aggregate away the `replica` label (`max`, `max by (route)`): a long-term store fed
by a Prometheus pair holds every record once per replica.

* When Alertmanager sends a resolve for a firing record: whether any Prometheus of
  PROMETHEUS_URLS still fires the alert (`firing_queries`, each URL asked of its own
  `ALERTS`). The replicas of a pair resolve a moment apart, and Alertmanager, holding the
  first's resolve and the second's firing copies by turns, can send RESOLVED in between
  and FIRING again at its next tick: a false page. So the webhook holds that resolve back
  (stores nothing for it); Alertmanager's next RESOLVED, or reconciliation once no
  Alertmanager lists the alert (bridge.reconcile), resolves the record. A Prometheus that
  does not answer decides nothing.
* When Alertmanager sends a firing that would reopen a resolved record (the same
  instance): the same question. A clustered Alertmanager can send an old FIRING after its
  peer's RESOLVED (prometheus/alertmanager#2447: each peer notifies with what its group
  held when its peer-timeout wait began), and the bridge would page FIRING, then RESOLVED
  again, for an incident that is over. So that firing is dropped when a Prometheus that
  fired this instance says it no longer does and none still fires it; one that genuinely
  fires again (Alertmanager had timed the alert out, or reconciliation inferred a resolve
  too early) is firing in a Prometheus and reopens the record, and when none answers, or
  none ever fired it (an alert another source sends), it reopens as before.

Every question of one webhook runs concurrently under one deadline,
PROMETHEUS_QUERY_BUDGET_SECONDS (default 1 s): the webhook answers at most that much later
than it would without them. A question Prometheus does not answer in time, or cannot
answer (not reachable, an error, no data), leaves its fields empty and a note saying why
(`culprits_note`, `resolved_note`), which the Slack message shows.

Where the queries run: in the webhook, *before* the atomic write, and not as an update
after it. The Slack message is built from the record by the delivery worker, which can take
the outbox entry the moment the transition is stored: an update written afterwards could
lose that race, and the page would go out without the culprits it was meant to lead with
(or a resolve without its value) — and the history would then disagree with Slack. Asking
first costs the webhook at most the budget, with durability before the 2xx unchanged (one
script stores the transition, its measured fields and its outbox entry). Only events that
will change a record are measured (its record is read first: absent or resolved for a
firing, absent or firing for a resolve), so retries, HA copies and repeats cost Prometheus nothing.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime

import requests

from alertstore import records


@dataclass(frozen=True)
class Series:
    """An alert's recorded series and its per-route record, in the alert's unit."""

    value: str  # PromQL: the alert's recorded series
    record: str  # the recorded series' name (max_over_time needs a plain selector)
    scale: float  # record * scale = the alert's unit
    routes: str  # PromQL of the per-route record, in the alert's unit
    routes_floor: str  # "zero" (above 0) or "threshold" (above the alert's threshold)
    none: str  # culprits_note when no route qualifies


SERIES = {
    "HighErrorRate": Series(
        value="max(taskmgr:http_errors_per_requests:ratio) * 100",
        record="taskmgr:http_errors_per_requests:ratio",
        scale=100,
        routes="max by (route) (route:taskmgr_http_errors_per_requests:ratio) * 100",
        routes_floor="zero",
        none="no route answered 5xx over the rule window",
    ),
    "HighLatency": Series(
        value="max(taskmgr:http_request_duration_seconds:p95) * 1000",
        record="taskmgr:http_request_duration_seconds:p95",
        scale=1000,
        routes="max by (route) (route:taskmgr_http_request_duration_seconds:p95) * 1000",
        routes_floor="threshold",
        none="no single route's p95 is above the threshold",
    ),
}


class Unanswered(Exception):
    """Prometheus gave no usable answer; the message says why, for a note."""


@dataclass(frozen=True)
class Query:
    promql: str
    at: datetime
    url: str | None = None  # ask this one alone (its own rule state), not the first answering


class Prometheus:
    """Instant queries against the first of `urls` that answers, every batch within
    `budget_seconds`."""

    def __init__(self, urls: Sequence[str], budget_seconds: float) -> None:
        self.urls = tuple(url.rstrip("/") for url in urls)
        self.budget = budget_seconds

    def ask(self, queries: dict[str, Query]) -> dict[str, list[dict] | Unanswered]:
        """Run every query concurrently; each key gets Prometheus' result vector, or the
        Unanswered saying why. Returns within the budget (a thread still waiting is left
        to its own timeout, the same budget)."""
        if not queries:
            return {}
        pool = ThreadPoolExecutor(max_workers=len(queries), thread_name_prefix="prom")
        try:
            futures = {key: pool.submit(self._query, q) for key, q in queries.items()}
            wait(futures.values(), timeout=self.budget)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        answers: dict[str, list[dict] | Unanswered] = {}
        for key, future in futures.items():
            if not future.done() or future.cancelled():
                answers[key] = Unanswered(self._late())
            else:
                try:
                    answers[key] = future.result()
                except Unanswered as exc:
                    answers[key] = exc
        return answers

    def _late(self) -> str:
        return f"Prometheus did not answer within {self.budget:g} s"

    def _query(self, query: Query) -> list[dict]:
        """The first answer of `urls`, in order, before the deadline; else Unanswered
        saying why each failed."""
        deadline = time.monotonic() + self.budget
        reasons = []
        urls = (query.url,) if query.url else self.urls
        for index, url in enumerate(urls):
            left = deadline - time.monotonic()
            if left <= 0:
                reasons.append(self._late())
                break
            try:
                return self._ask(url, query, left / (len(urls) - index))
            except Unanswered as exc:
                reasons.append(str(exc))
        raise Unanswered("; ".join(dict.fromkeys(reasons)))

    def _ask(self, url: str, query: Query, timeout: float) -> list[dict]:
        try:
            response = requests.get(
                f"{url}/api/v1/query",
                params={"query": query.promql, "time": f"{query.at.timestamp():.3f}"},
                timeout=timeout,
            )
        except requests.Timeout as exc:
            raise Unanswered(self._late()) from exc
        except requests.RequestException as exc:
            raise Unanswered(f"Prometheus could not be reached at {url}") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or body.get("status") != "success":
            error = str(body.get("error") or response.reason)[:200]
            raise Unanswered(f"Prometheus answered {response.status_code}: {error}")
        data = body.get("data") or {}
        if data.get("resultType") != "vector" or not isinstance(data.get("result"), list):
            raise Unanswered("Prometheus answered no instant vector")
        return data["result"]


def _number(sample: dict) -> float | None:
    try:
        value = float(sample["value"][1])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _window(starts_at: datetime, at: datetime) -> str:
    """The incident's duration as a PromQL range, in whole milliseconds (at least 1)."""
    return f"{max(1, math.ceil((at - starts_at).total_seconds() * 1000))}ms"


def culprit_queries(event: records.AlertEvent, at: datetime) -> dict[str, Query]:
    """The culprit question for a firing event ({} when none applies)."""
    series = SERIES.get(event.labels.get("alertname", ""))
    if series is None:
        return {}
    floor = 0.0
    if series.routes_floor == "threshold":
        floor = records.new_record(event, at)["threshold_value"] or 0.0
    promql = f"topk({records.MAX_CULPRITS}, {series.routes} > {floor!r})"
    return {"culprits": Query(promql, at)}


def resolve_queries(alertname: str, starts_at: datetime, at: datetime) -> dict[str, Query]:
    """Value at `at` and peak since starts_at, for a resolve ({} when none apply)."""
    series = SERIES.get(alertname)
    if series is None:
        return {}
    window = _window(starts_at, at)
    peak = f"max(max_over_time({series.record}[{window}])) * {series.scale:g}"
    return {"resolved_value": Query(series.value, at), "peak_value": Query(peak, at)}


FIRING_AT = "firing at "  # the key prefix of firing_queries' answers, one per URL


def firing_queries(event: records.AlertEvent, urls: Sequence[str], at: datetime) -> dict:
    """Does each Prometheus still fire this alert? One question per URL, each of its own
    rule state (`ALERTS`, which carries the alert's labels but no external ones): above 0
    while it fires, 0 when it fired since the instance began and no longer does, nothing
    when it never fired it (an alert from another source, or before its retention)."""
    matchers = ",".join(
        f"{name}={json.dumps(value, ensure_ascii=False)}"  # a Go-quoted PromQL string
        for name, value in sorted(event.labels.items())
    )
    alerts = f'ALERTS{{alertstate="firing",{matchers}}}'
    window = _window(event.starts_at, at)
    promql = f"count({alerts}) or count(max_over_time({alerts}[{window}])) * 0"
    return {f"{FIRING_AT}{url}": Query(promql, at, url) for url in urls}


def firing_at(answers: dict) -> tuple[list[str], list[str]]:
    """The URLs whose Prometheus still fires the alert, and those whose Prometheus fired it
    during this instance and no longer does. One that did not answer decides nothing (a
    dead replica fires nothing, a partitioned one may still), nor does one that never
    fired it."""
    firing, over = [], []
    for key, answer in answers.items():
        if not key.startswith(FIRING_AT) or isinstance(answer, Unanswered) or not answer:
            continue
        value = max((_number(sample) or 0) for sample in answer)
        (firing if value > 0 else over).append(key.removeprefix(FIRING_AT))
    return firing, over


def culprit_facts(event: records.AlertEvent, answers: dict) -> dict:
    """`culprits` and `culprits_note` from the culprit question's answer."""
    if "culprits" not in answers:
        return {}
    answer = answers["culprits"]
    if isinstance(answer, Unanswered):
        return {"culprits": [], "culprits_note": str(answer)}
    found = [
        {"route": sample["metric"]["route"], "value": value}
        for sample in answer
        if isinstance(sample.get("metric"), dict)
        and sample["metric"].get("route")
        and (value := _number(sample)) is not None
    ]
    found.sort(key=lambda culprit: (-culprit["value"], culprit["route"]))
    found = found[: records.MAX_CULPRITS]
    series = SERIES[event.labels["alertname"]]
    return {"culprits": found, "culprits_note": None if found else series.none}


def resolve_facts(answers: dict) -> dict:
    """`resolved_value`, `peak_value` and `resolved_note` from the resolve questions."""
    if "resolved_value" not in answers:
        return {}
    facts: dict = {}
    notes = []
    for name in ("resolved_value", "peak_value"):
        answer = answers[name]
        value = None
        if isinstance(answer, Unanswered):
            notes.append(str(answer))
        elif len(answer) == 1:
            value = _number(answer[0])
            if value is None:  # 0/0: no traffic over the rule window
                notes.append("no traffic to measure over the rule window")
        else:
            notes.append("Prometheus has no data for the alert's series")
        facts[name] = value
    facts["resolved_note"] = "; ".join(dict.fromkeys(notes)) or None
    return facts
