"""Alert-history record → Slack incoming-webhook message. Pure: no I/O, no clock.

The message is built from small shared pieces, like Alertmanager's `default.tmpl`:
`subject` (`[FIRING] HighErrorRate`) heads both the notification line (`text`) and the
header block; `_reading` ("error rate 37.5 % > 5 % threshold") is used by both too.
The content blocks live in one attachment so its colour bar shows severity at a glance.

A firing notice says where it breaks first: the record's `culprits` (routes the bridge
found in Prometheus, bridge.prom) lead the notification line and come before the summary
and description, or it says they are unknown and why (`culprits_note`).

A resolved notice never shows the last firing value as the current one (SPEC §8): it reads
"error rate now 0.4 % (peak 37.5 %, threshold 5 %), resolved after 4m 12s" from the values
the bridge measured at the resolve (`resolved_value`, `peak_value`, `duration_seconds`),
says why when they are missing (`resolved_note`), and labels the alert's own value "Last
firing value". An alert about one instance (label `instance`) names it in its subject, so
a resolve of one instance never reads as the whole API being back; a resolve the bridge
inferred (reconciliation) says "resolved: no longer reported by Alertmanager", and a
flapping alert shows its flap count (alertstore.lifecycle).

A firing or reminder message of an alert nobody acknowledged carries an Acknowledge button
when the caller gives its signed link (`ack_url`, made by bridge.ack with the sender's
clock); the `acknowledged` message says who, when and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

from alertstore.records import NOTIFICATION_KINDS as KINDS

# Slack's limits (api.slack.com/reference/block-kit/blocks, chat.postMessage "text").
MAX_TEXT = 40_000
MAX_HEADER = 150
MAX_SECTION = 3000
MAX_BUTTON_URL = 3000
# Our own caps, well inside Slack's (a field may hold 2000): they keep the layout readable.
MAX_LABEL = 200
MAX_SUMMARY = 300
MAX_DESCRIPTION = MAX_SECTION - MAX_SUMMARY - 10  # both share one section, with markup

RED, ORANGE, BLUE, GREEN = "#d32f2f", "#f57c00", "#1e88e5", "#2e7d32"

# severity → (emoji, colour); an unknown severity is shown like a warning, never played down
_SEVERITY_STYLE = {
    "CRITICAL": (":rotating_light:", RED),
    "ERROR": (":rotating_light:", RED),
    "WARNING": (":warning:", ORANGE),
    "INFO": (":information_source:", BLUE),
}
_UNKNOWN_STYLE = _SEVERITY_STYLE["WARNING"]

INFERRED = "resolved: no longer reported by Alertmanager"

# what the alert's value measures, for the notification line
_QUANTITY = {
    "high_error_rate": "error rate",
    "high_latency": "p95 latency",
    "availability_budget_burn": "error budget burn",  # the SLO alerts' value: times the budget
    "latency_budget_burn": "error budget burn",
}


# the Grafana view of an incident: this long before it started, and after it ended
GRAFANA_MARGIN = timedelta(minutes=30)
DASHBOARD_PATH = "/d/taskmgr/taskmgr"  # grafana/dashboards/taskmgr.json's uid and title


@dataclass(frozen=True)
class Links:
    """Where the services a message links to are reached, and which of them have a UI.

    `grafana_url` None: no Grafana (GRAFANA_URL empty), so no Grafana link. `alertmanager_ui`
    False (Debian's Alertmanager has no web UI): no Silence link, which would open a page
    saying so.
    """

    prometheus_url: str
    alertmanager_url: str
    grafana_url: str | None = None
    alertmanager_ui: bool = False


def build_message(record: dict, kind: str, links: Links, *, ack_url: str | None = None) -> dict:
    """The Slack JSON for one transition of an alert; ValueError for an unknown kind."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    blocks = [
        _header(record, kind),
        _culprits(record, kind),
        _summary(record, kind),
        _facts(record, kind),
        _actions(record, kind, links, ack_url),
    ]
    attachment = {"color": colour(record, kind), "blocks": [b for b in blocks if b]}
    return {"text": _escape(_notification(record, kind), MAX_TEXT), "attachments": [attachment]}


def subject(record: dict, kind: str) -> str:
    """`[FIRING] ApiDown on api-1:8000`: the words every view of this transition starts with."""
    state = {
        "firing": "FIRING",
        "reminder": "STILL FIRING",
        "resolved": "RESOLVED",
        "acknowledged": "ACKNOWLEDGED",
    }[kind]
    name = _short(record.get("alertname") or "unnamed alert", MAX_LABEL)
    instance = (record.get("labels") or {}).get("instance")
    return f"[{state}] {name} on {_short(instance, MAX_LABEL)}" if instance else f"[{state}] {name}"


def colour(record: dict, kind: str) -> str:
    return {"resolved": GREEN, "acknowledged": BLUE}.get(kind) or _style(record)[1]


def silence_url(record: dict, alertmanager_url: str) -> str | None:
    """Alertmanager's new-silence form, prefilled with this alert's name and type."""
    labels = {"alertname": record.get("alertname"), "alert_type": record.get("alert_type")}
    matchers = ",".join(f'{name}="{_matcher_value(v)}"' for name, v in labels.items() if v)
    if not matchers:
        return None  # an empty filter would silence nothing useful
    query = quote("{" + matchers + "}", safe="")
    return f"{alertmanager_url.rstrip('/')}/#/silences/new?filter={query}"


def _notification(record: dict, kind: str) -> str:
    """The one line a phone shows; raw text, escaped by the caller."""
    reading = _reading(record, kind)
    if kind == "acknowledged":
        detail = f"acknowledged by {record.get('acknowledged_by') or 'someone'}"
        if record.get("ack_comment"):
            detail += f": {record['ack_comment']}"
    elif kind == "resolved":
        duration = _duration(record)
        if _inferred(record):
            after = f"{INFERRED} (after {duration})" if duration else INFERRED
        else:
            after = f"resolved after {duration}" if duration else "resolved"
        detail = f"{reading}, {after}" if reading else after
    else:
        annotations = record.get("annotations") or {}
        detail = str(reading or annotations.get("summary") or record.get("message") or "")
        where = _where_line(record)
        if where:
            detail = f"{detail} · {where}" if detail else where
        if kind == "reminder":
            detail = f"{detail} (reminder {record.get('reminders') or 1})".lstrip()
        elif record.get("flaps"):
            detail = f"{detail} ({_flapping(record['flaps'])})".lstrip()
    return f"{subject(record, kind)} — {detail}" if detail else subject(record, kind)


def _reading(record: dict, kind: str) -> str:
    """The value against its threshold (`error rate 37.5 % > 5 % threshold`), or "".

    At resolve time only a value measured then (`resolved_value`) is a reading, with the
    incident's peak; when the bridge could not measure it, the reading says why.
    """
    quantity = _QUANTITY.get(record.get("alert_type"), "value")
    threshold = _measure(record, "threshold", "threshold_value")
    if kind == "resolved":
        value = _with_unit(record, record.get("resolved_value"))
        peak = _with_unit(record, record.get("peak_value"))
        if value is None:
            note = record.get("resolved_note")
            return f"{quantity} now unknown ({note})" if note else ""
        extra = [f"peak {peak}" if peak else "", f"threshold {threshold}" if threshold else ""]
        extra = [part for part in extra if part]
        return f"{quantity} now {value}" + (f" ({', '.join(extra)})" if extra else "")
    value = _measure(record, "value", "metric_value")
    if value is None:
        return ""
    return f"{quantity} {value}" + (f" > {threshold} threshold" if threshold else "")


def _header(record: dict, kind: str) -> dict:
    emoji = {
        "reminder": ":repeat:",
        "resolved": ":white_check_mark:",
        "acknowledged": ":raising_hand:",
    }.get(kind, _style(record)[0])
    title = _short(f"{emoji} {subject(record, kind)}", MAX_HEADER)
    return {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}}


def _culprit_list(record: dict) -> list[str]:
    return [
        f"{_short(str(c.get('route')), MAX_LABEL)} ({_with_unit(record, c.get('value'))})"
        for c in record.get("culprits") or []
        if isinstance(c, dict) and c.get("route")
    ]


def _where_line(record: dict) -> str:
    """`where: api/v1/tasks/ (37.5 %)`, `where: unknown (…)`, or "" (nothing was asked)."""
    culprits = _culprit_list(record)
    if culprits:
        return "where: " + ", ".join(culprits)
    note = record.get("culprits_note")
    return f"where: unknown ({note})" if note else ""


def _culprits(record: dict, kind: str) -> dict | None:
    """Where it breaks, before anything else: the worst routes when the alert fired."""
    if kind == "resolved":
        return None
    title = "Where it breaks" if kind == "firing" else "Where it broke when it fired"
    culprits = _culprit_list(record)
    note = record.get("culprits_note")
    if culprits:
        lines = [f"• `{_escape(c, MAX_LABEL + 40)}`" for c in culprits]
    elif note:
        lines = [f"unknown: {_escape(str(note), MAX_SUMMARY)}"]
    else:
        return None
    text = f"*{title}*\n" + "\n".join(lines)
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _summary(record: dict, kind: str) -> dict | None:
    """Summary in bold, description below; None when the alert has neither. A resolved
    notice quotes them as what *was* firing, never as the state now."""
    annotations = record.get("annotations") or {}
    summary = annotations.get("summary") or record.get("message")
    description = annotations.get("description")
    was = "Was firing: " if kind == "resolved" else ""
    lines = [
        f"{was}*{_escape(str(summary), MAX_SUMMARY)}*" if summary else "",
        _escape(str(description or ""), MAX_DESCRIPTION),
    ]
    text = "\n".join(line for line in lines if line)
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}} if text else None


def _facts(record: dict, kind: str) -> dict | None:
    """Value vs threshold, times and the labels that matter, as a two-column section."""
    started = _time_text(record.get("starts_at"))
    labels = record.get("labels") or {}
    pairs: list[tuple[str, str | None]] = []
    if kind == "acknowledged":
        pairs += [
            ("Acknowledged by", record.get("acknowledged_by")),
            ("Acknowledged at", _time_text(record.get("acknowledged_at"))),
            ("Comment", record.get("ack_comment")),
        ]
    if kind == "resolved":
        at_resolve = _with_unit(record, record.get("resolved_value"))
        if at_resolve is None and record.get("resolved_note"):
            at_resolve = f"unknown: {record['resolved_note']}"
        pairs += [
            ("Value at resolve", at_resolve),
            ("Peak", _with_unit(record, record.get("peak_value"))),
            ("Last firing value", _measure(record, "value", "metric_value")),
        ]
    else:
        pairs.append(("Value", _measure(record, "value", "metric_value")))
    pairs += [("Threshold", _measure(record, "threshold", "threshold_value"))]
    if kind == "reminder":
        pairs.append(("Still firing since", f"{started} (reminder {record.get('reminders') or 1})"))
    else:
        pairs.append(("Started", started))
    if kind == "resolved":
        pairs += [("Resolved", _time_text(record.get("ends_at"))), ("Duration", _duration(record))]
        if _inferred(record):
            pairs.append(("Resolution", f"{INFERRED} (inferred by reconciliation)"))
    elif kind == "firing" and record.get("flaps"):
        pairs.append(("Flapping", _flapping(record["flaps"])))
    pairs += [
        ("Severity", record.get("severity") or labels.get("severity")),
        ("Type", record.get("alert_type") or labels.get("alert_type")),
        ("Instance", labels.get("instance")),
        ("Job", labels.get("job")),
    ]
    fields = [
        {"type": "mrkdwn", "text": f"*{name}*\n{_escape(str(value), MAX_LABEL)}"}
        for name, value in pairs
        if value
    ]
    return {"type": "section", "fields": fields} if fields else None


def graph_url(record: dict, prometheus_url: str) -> str:
    """The Prometheus graph of the alert's own expression: its generatorURL (Prometheus'
    `/graph?g0.expr=…`, which Debian's classic-only 2.42 redirects to `/classic/graph`), or,
    for an alert without one, the graph of its `ALERTS` series."""
    generator = record.get("generator_url")
    if _linkable(generator):
        return generator
    name = _matcher_value(record.get("alertname") or "")
    expr = f'ALERTS{{alertname="{name}"}}' if name else "ALERTS"
    return f"{prometheus_url.rstrip('/')}/graph?{urlencode({'g0.expr': expr, 'g0.tab': '0'})}"


def grafana_url(record: dict, grafana: str | None) -> str | None:
    """The dashboard around the incident (from/to in epoch ms: `GRAFANA_MARGIN` before it
    started to as long after it ended, or to now while it fires); None without Grafana."""
    if not grafana:
        return None
    started = _parse_time(record.get("starts_at"))
    if started is None:
        return f"{grafana.rstrip('/')}{DASHBOARD_PATH}"
    ended = _parse_time(record.get("ends_at"))
    window = {
        "from": _epoch_ms(started - GRAFANA_MARGIN),
        "to": _epoch_ms(ended + GRAFANA_MARGIN) if ended else "now",
    }
    return f"{grafana.rstrip('/')}{DASHBOARD_PATH}?{urlencode(window)}"


def _epoch_ms(moment: datetime) -> str:
    return str(round(moment.timestamp() * 1000))


def _actions(record: dict, kind: str, links: Links, ack_url: str | None) -> dict | None:
    annotations = record.get("annotations") or {}
    ongoing = kind in ("firing", "reminder")
    # silencing an alert that already resolved would only hide its next occurrence
    silence = links.alertmanager_ui and ongoing
    buttons = [
        ("Acknowledge", ack_url if ongoing and not record.get("acknowledged_by") else None),
        ("Prometheus graph", graph_url(record, links.prometheus_url)),
        ("Grafana", grafana_url(record, links.grafana_url)),
        ("Silence", silence_url(record, links.alertmanager_url) if silence else None),
        ("Runbook", annotations.get("runbook_url")),
    ]
    elements = [
        {"type": "button", "text": {"type": "plain_text", "text": label}, "url": url}
        for label, url in buttons
        if _linkable(url)
    ]
    return {"type": "actions", "elements": elements} if elements else None


def _linkable(url: str | None) -> bool:
    """Only absolute http(s) links Slack accepts; alert annotations are not trusted."""
    return (
        bool(url) and re.match(r"https?://[^/\s]", url) is not None and len(url) <= MAX_BUTTON_URL
    )


def _flapping(flaps: int) -> str:
    return f"flapping: {flaps} re-fire{'s' if flaps != 1 else ''} soon after a resolve"


def _inferred(record: dict) -> bool:
    return record.get("resolution") == "inferred"


def _style(record: dict) -> tuple[str, str]:
    return _SEVERITY_STYLE.get(str(record.get("severity") or "").upper(), _UNKNOWN_STYLE)


def _measure(record: dict, annotation: str, field: str) -> str | None:
    """Value or threshold with unit: the annotation as rendered by Prometheus, else the number."""
    raw = (record.get("annotations") or {}).get(annotation)
    return _with_unit(record, raw if raw not in (None, "") else record.get(field))


def _with_unit(record: dict, value: object) -> str | None:
    if value is None or value == "":
        return None
    unit = (record.get("annotations") or {}).get("unit") or ""
    return f"{_number(value)} {unit}".strip()


def _number(value: object) -> str:
    """37.5 → "37.5", 5.0 → "5", 0.01234 → "0.0123"; non-numbers shown as given (capped)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return _short(str(value), 40)
    if number != number or number in (float("inf"), float("-inf")):
        return str(number)
    if 0 < abs(number) < 1:
        return f"{number:.3g}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")


def _parse_time(value: str | None) -> datetime | None:
    """A record's time (records.isoformat: UTC, `Z`) or None (not ended)."""
    return datetime.fromisoformat(value) if value else None


def _time_text(value: str | None) -> str | None:
    """ISO time → "2025-10-15 12:00:00 UTC"."""
    parsed = _parse_time(value)
    return parsed and parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(record: dict) -> str | None:
    """`duration_seconds` (else starts_at to ends_at) in its two largest units: `4m 30s`,
    `2h 5m`, `3d`."""
    seconds = record.get("duration_seconds")
    if seconds is None:
        start, end = _parse_time(record.get("starts_at")), _parse_time(record.get("ends_at"))
        if start is None or end is None:
            return None
        seconds = (end - start).total_seconds()
    seconds = round(seconds)
    if seconds < 0:
        return None
    amounts = [(seconds // 86400, "d"), (seconds // 3600 % 24, "h"), (seconds // 60 % 60, "m")]
    amounts.append((seconds % 60, "s"))
    first = next((i for i, (n, _) in enumerate(amounts) if n), len(amounts) - 1)
    return " ".join(f"{n}{unit}" for n, unit in amounts[first : first + 2] if n) or "0s"


def _matcher_value(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"')


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str, limit: int) -> str:
    """Slack mrkdwn: escape its control characters (&, <, >), then cap at limit."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if len(escaped) <= limit:
        return escaped
    # cut without leaving half an entity such as "&am"
    return re.sub(r"&[a-z]{0,3}$", "", escaped[: limit - 1]) + "…"
