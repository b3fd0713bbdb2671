"""What an on-call engineer sees in Slack for each alert transition (bridge/slack.py)."""

import html
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from alertstore.records import AlertEvent, new_record
from bridge.slack import BLUE, GREEN, ORANGE, RED, Links, build_message
from testkit.slack import FakeSlack, validate

# compose: Grafana configured, Alertmanager with its web UI
LINKS = Links(
    prometheus_url="http://prometheus.test:9090",
    alertmanager_url="http://alertmanager.test:9093",
    grafana_url="http://grafana.test:3000",
    alertmanager_ui=True,
)
# make run on Debian: no Grafana, an Alertmanager without web UI
MAKE_RUN_LINKS = Links(
    prometheus_url="http://prometheus.test:9090", alertmanager_url="http://alertmanager.test:9093"
)


STARTED = datetime(2025, 10, 15, 12, 0, 0, 123456, tzinfo=UTC)


def record_of(
    *,
    status: str = "firing",
    labels: dict,
    annotations: dict,
    ends_at: datetime | None = None,
    generator_url: str = "http://prometheus.test:9090/graph?g0.expr=taskmgr%3Aratio&g0.tab=1",
    **overrides,
) -> dict:
    """A record exactly as the store holds it (records.new_record), then `overrides`."""
    event = AlertEvent(
        status=status,
        labels=labels,
        annotations=annotations,
        starts_at=STARTED,
        ends_at=ends_at,
        fingerprint="a1b2c3d4e5f60718",
        generator_url=generator_url,
    )
    return {**new_record(event, STARTED + timedelta(minutes=5)), **overrides}


ERROR_RATE_LABELS = {
    "alertname": "HighErrorRate",
    "severity": "error",
    "alert_type": "high_error_rate",
    "job": "taskmgr-api",
}
ERROR_RATE_ANNOTATIONS = {
    "summary": "Error rate is 37.5 %",
    "description": "37.5 % of API requests answered 5xx over the last 5 minutes.",
    "value": "37.5",
    "threshold": "5",
    "unit": "%",
    "runbook_url": "http://docs.test/runbook#higherrorrate",
    "dashboard_url": "http://grafana.test:3000/d/taskmgr?viewPanel=2",
}


def error_rate_record(*, alertname: str = "HighErrorRate", labels=None, **overrides) -> dict:
    """The error-rate alert; `labels` are added to its own, `alertname` is its label."""
    overrides.setdefault("annotations", ERROR_RATE_ANNOTATIONS)
    labels = {**ERROR_RATE_LABELS, **(labels or {}), "alertname": alertname}
    return record_of(labels=labels, **overrides)


def latency_record(**overrides) -> dict:
    annotations = {"summary": "p95 latency is 812 ms", "value": "812.4", "threshold": "500"}
    return error_rate_record(
        alertname="HighLatency",
        labels={"alert_type": "high_latency", "severity": "warning"},
        annotations={**annotations, "unit": "ms"},
        **overrides,
    )


def resolved_record(**overrides) -> dict:
    ends_at = STARTED + timedelta(minutes=4, seconds=30)
    return error_rate_record(status="resolved", ends_at=ends_at, **overrides)


def api_down_record(instance: str, status: str = "firing") -> dict:
    return record_of(
        status=status,
        labels={"alertname": "ApiDown", "severity": "critical", "instance": instance},
        annotations={"summary": "The API is down"},
        ends_at=STARTED + timedelta(seconds=1) if status == "resolved" else None,
    )


def shown(text: str) -> str:
    """The text as Slack renders it (it un-escapes &amp; &lt; &gt;)."""
    return html.unescape(text)


def blocks(message: dict) -> list[dict]:
    return message["attachments"][0]["blocks"]


def block(message: dict, kind: str) -> dict:
    return next(b for b in blocks(message) if b["type"] == kind)


def header(message: dict) -> str:
    return block(message, "header")["text"]["text"]


def facts(message: dict) -> dict[str, str]:
    """The name → value fields of the facts section, as rendered."""
    section = next(b for b in blocks(message) if "fields" in b)
    pairs = (shown(f["text"]).split("\n", 1) for f in section["fields"])
    return {name.strip("*"): value for name, value in pairs}


def buttons(message: dict) -> dict[str, str]:
    return {e["text"]["text"]: e["url"] for e in block(message, "actions")["elements"]}


def mrkdwn_texts(message: dict) -> list[str]:
    """Every string Slack parses as mrkdwn: the notification line and the section texts."""
    texts = [message["text"]]
    for b in blocks(message):
        if b["type"] == "section":
            texts += [t["text"] for t in [b.get("text"), *b.get("fields", [])] if t]
    return texts


def test_firing_message_names_the_alert_and_shows_value_against_threshold():
    message = build_message(error_rate_record(), "firing", LINKS)

    assert shown(message["text"]) == "[FIRING] HighErrorRate — error rate 37.5 % > 5 % threshold"
    assert header(message) == ":rotating_light: [FIRING] HighErrorRate"
    assert facts(message)["Value"] == "37.5 %"
    assert facts(message)["Threshold"] == "5 %"
    assert facts(message)["Started"] == "2025-10-15 12:00:00 UTC"
    summary = shown(blocks(message)[1]["text"]["text"])
    assert summary.startswith("*Error rate is 37.5 %*\n37.5 % of API requests answered 5xx")


def test_latency_alert_shows_milliseconds():
    message = build_message(latency_record(), "firing", LINKS)

    assert (
        shown(message["text"]) == "[FIRING] HighLatency — p95 latency 812.4 ms > 500 ms threshold"
    )
    assert (facts(message)["Value"], facts(message)["Threshold"]) == ("812.4 ms", "500 ms")
    assert header(message) == ":warning: [FIRING] HighLatency"


def test_a_burn_rate_page_shows_the_burn_and_how_long_the_budget_lasts():
    times = "\N{MULTIPLICATION SIGN}"  # the SLO alerts' unit
    summary = f"Availability SLO (99.9% not 5xx): error budget burning 1000.0{times} too fast, …"
    annotations = {"summary": summary, "value": "1000.0", "threshold": "6", "unit": times}
    record = error_rate_record(
        alertname="AvailabilityBudgetFastBurn",
        labels={"alert_type": "availability_budget_burn", "severity": "critical"},
        annotations=annotations,
    )

    message = build_message(record, "firing", LINKS)

    assert shown(message["text"]) == (
        "[FIRING] AvailabilityBudgetFastBurn — "
        f"error budget burn 1,000 {times} > 6 {times} threshold"
    )
    assert shown(blocks(message)[1]["text"]["text"]).startswith(f"*{summary}*")


def test_labels_that_matter_are_shown():
    record = error_rate_record(labels={"instance": "api-1:8000", "job": "taskmgr-api", "pod": "x"})

    shown_facts = facts(build_message(record, "firing", LINKS))

    assert shown_facts["Severity"] == "ERROR"
    assert shown_facts["Type"] == "high_error_rate"
    assert shown_facts["Instance"] == "api-1:8000"
    assert shown_facts["Job"] == "taskmgr-api"
    assert "pod" not in " ".join(shown_facts)


@pytest.mark.parametrize(
    ("severity", "kind", "colour", "emoji"),
    [
        ("CRITICAL", "firing", RED, ":rotating_light:"),
        ("ERROR", "firing", RED, ":rotating_light:"),
        ("WARNING", "firing", ORANGE, ":warning:"),
        ("INFO", "firing", BLUE, ":information_source:"),
        ("info", "firing", BLUE, ":information_source:"),
        ("ERROR", "reminder", RED, ":repeat:"),
        ("CRITICAL", "resolved", GREEN, ":white_check_mark:"),
        ("WARNING", "resolved", GREEN, ":white_check_mark:"),
    ],
)
def test_colour_and_emoji_follow_severity_and_transition(severity, kind, colour, emoji):
    message = build_message(error_rate_record(severity=severity), kind, LINKS)

    assert message["attachments"][0]["color"] == colour
    assert header(message).startswith(emoji + " ")


def test_unknown_severity_is_not_played_down():
    message = build_message(error_rate_record(severity="BOGUS"), "firing", LINKS)

    assert message["attachments"][0]["color"] == ORANGE


def test_reminder_says_still_firing_since_when_and_counts():
    message = build_message(error_rate_record(reminders=3), "reminder", LINKS)

    assert shown(message["text"]).startswith("[STILL FIRING] HighErrorRate — error rate 37.5 %")
    assert shown(message["text"]).endswith("(reminder 3)")
    assert header(message) == ":repeat: [STILL FIRING] HighErrorRate"
    assert facts(message)["Still firing since"] == "2025-10-15 12:00:00 UTC (reminder 3)"


def test_resolved_says_when_and_how_long_without_claiming_the_firing_value_as_current():
    message = build_message(resolved_record(), "resolved", LINKS)

    assert shown(message["text"]) == "[RESOLVED] HighErrorRate — resolved after 4m 30s"
    assert header(message) == ":white_check_mark: [RESOLVED] HighErrorRate"
    assert "Value" not in facts(message)
    assert facts(message)["Last firing value"] == "37.5 %"
    assert facts(message)["Resolved"] == "2025-10-15 12:04:30 UTC"
    assert facts(message)["Duration"] == "4m 30s"


def test_resolved_shows_the_value_measured_at_resolve_time_when_known():
    message = build_message(resolved_record(resolved_value=1.25), "resolved", LINKS)

    assert shown(message["text"]) == (
        "[RESOLVED] HighErrorRate — error rate now 1.25 % (threshold 5 %), resolved after 4m 30s"
    )
    assert facts(message)["Value at resolve"] == "1.25 %"


def test_silence_link_prefills_alertname_and_alert_type_matchers():
    message = build_message(error_rate_record(), "firing", LINKS)

    url = urlsplit(buttons(message)["Silence"])
    fragment = urlsplit(url.fragment)
    assert f"{url.scheme}://{url.netloc}" == LINKS.alertmanager_url
    assert fragment.path == "/silences/new"
    assert parse_qs(fragment.query)["filter"] == [
        '{alertname="HighErrorRate",alert_type="high_error_rate"}'
    ]


def test_silence_matcher_escapes_quotes_in_label_values():
    message = build_message(error_rate_record(alertname='Odd"Name'), "firing", LINKS)

    fragment = urlsplit(urlsplit(buttons(message)["Silence"]).fragment)
    assert parse_qs(fragment.query)["filter"] == [
        '{alertname="Odd\\"Name",alert_type="high_error_rate"}'
    ]


def test_resolved_message_offers_no_silence():
    assert "Silence" not in buttons(build_message(resolved_record(), "resolved", LINKS))


def test_links_are_the_alerts_graph_its_runbook_and_grafana_around_the_incident():
    record = error_rate_record()

    links = buttons(build_message(record, "firing", LINKS))

    assert links["Prometheus graph"] == record["generator_url"]
    assert links["Runbook"] == record["annotations"]["runbook_url"]
    grafana = urlsplit(links["Grafana"])
    assert grafana._replace(query="").geturl() == "http://grafana.test:3000/d/taskmgr/taskmgr"
    half_an_hour_before = (STARTED - timedelta(minutes=30)).timestamp() * 1000
    assert parse_qs(grafana.query) == {"from": [str(round(half_an_hour_before))], "to": ["now"]}


def test_a_resolved_incidents_grafana_view_ends_after_it():
    links = buttons(build_message(resolved_record(), "resolved", LINKS))

    after = datetime.fromisoformat(resolved_record()["ends_at"]) + timedelta(minutes=30)
    to = parse_qs(urlsplit(links["Grafana"]).query)["to"]
    assert to == [str(round(after.timestamp() * 1000))]


def test_make_runs_messages_link_no_grafana_and_no_alertmanager_ui():
    """Without GRAFANA_URL and without Alertmanager's web UI (Debian's package), every link
    left opens a real page: the alert's graph and its runbook."""
    record = error_rate_record()

    links = buttons(build_message(record, "firing", MAKE_RUN_LINKS))

    assert set(links) == {"Prometheus graph", "Runbook"}


def test_links_fall_back_to_the_alerts_series_and_drop_unsafe_urls():
    record = error_rate_record(
        generator_url="javascript:alert(1)",
        annotations={"summary": "s", "runbook_url": "javascript:alert(1)"},
    )

    links = buttons(build_message(record, "firing", LINKS))

    graph = urlsplit(links["Prometheus graph"])
    assert graph._replace(query="").geturl() == "http://prometheus.test:9090/graph"
    assert parse_qs(graph.query)["g0.expr"] == ['ALERTS{alertname="HighErrorRate"}']
    assert "Runbook" not in links


def test_user_controlled_text_cannot_mention_or_link_in_slack():
    hostile = "<!channel> & <http://evil.test|click here>"
    record = error_rate_record(
        alertname="Bad<Name>",
        annotations={"summary": hostile, "description": hostile, "value": "<b>"},
        labels={"job": hostile, "instance": hostile},
    )

    message = build_message(record, "firing", LINKS)

    for text in mrkdwn_texts(message):
        assert "<" not in text and ">" not in text.replace("&gt;", ""), text
    assert "&lt;!channel&gt; &amp; &lt;http://evil.test|click here&gt;" in mrkdwn_texts(message)[1]
    # the header is plain text: Slack shows it literally, so it is not escaped
    assert header(message) == f":rotating_light: [FIRING] Bad<Name> on {hostile}"


def test_long_text_is_capped_to_slacks_limits_without_splitting_an_escape():
    record = error_rate_record(
        alertname="A" * 60_000,
        annotations={"summary": "&" * 5000, "description": "<" * 50_000, "value": "9" * 500},
        labels={"job": ">" * 5000},
    )

    message = build_message(record, "firing", LINKS)

    assert validate(json.dumps(message).encode()) is None
    assert len(message["text"]) <= 40_000
    assert len(header(message)) <= 150
    summary = blocks(message)[1]["text"]["text"]
    assert len(summary) <= 3000
    assert summary.startswith("*&amp;&amp;")
    assert summary.endswith("&lt;…")  # a cut "&lt;" is dropped whole, never left as "&l"


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="firing, reminder, resolved, acknowledged"):
        build_message(error_rate_record(), "silenced", LINKS)


# The sparest records the store holds: an alert with nothing but its name.
SPARSE_RECORDS = {
    "only a name": record_of(labels={"alertname": "ApiDown"}, annotations={}, generator_url=""),
    "only a name, resolved": record_of(
        status="resolved", labels={"alertname": "ApiDown"}, annotations={}, generator_url=""
    ),
    "empty annotations": error_rate_record(annotations={}),
}


@pytest.mark.parametrize("kind", ["firing", "reminder", "resolved"])
@pytest.mark.parametrize("name", SPARSE_RECORDS)
def test_missing_optional_fields_still_make_a_message_slack_accepts(name, kind):
    message = build_message(SPARSE_RECORDS[name], kind, LINKS)

    assert validate(json.dumps(message).encode()) is None
    assert shown(message["text"]).startswith("[")


def test_value_falls_back_to_the_records_number_with_unit():
    record = latency_record(metric_value=812.3456, threshold_value=500.0)
    record["annotations"] = {"unit": "ms"}

    message = build_message(record, "firing", LINKS)

    assert (
        shown(message["text"]) == "[FIRING] HighLatency — p95 latency 812.35 ms > 500 ms threshold"
    )


def test_reminder_without_a_value_keeps_the_summary():
    record = {"alertname": "ApiDown", "reminders": 2, "annotations": {"summary": "API is down"}}

    message = build_message(record, "reminder", LINKS)

    assert shown(message["text"]) == "[STILL FIRING] ApiDown — API is down (reminder 2)"


def test_api_down_without_value_shows_its_summary():
    record = {
        "alertname": "ApiDown",
        "severity": "CRITICAL",
        "alert_type": "api_down",
        "annotations": {"summary": "The API is not answering scrapes"},
    }

    message = build_message(record, "firing", LINKS)

    assert shown(message["text"]) == "[FIRING] ApiDown — The API is not answering scrapes"
    assert "Value" not in facts(message)


@pytest.mark.parametrize("kind", ["firing", "reminder", "resolved"])
def test_every_kind_is_posted_and_accepted_by_a_slack_like_webhook(kind):
    records = [error_rate_record(reminders=1), latency_record(), resolved_record()]

    with FakeSlack() as slack:
        for record in records:
            response = requests.post(slack.url, json=build_message(record, kind, LINKS), timeout=5)
            assert response.status_code == 200, response.text

        assert len(slack.received) == len(records)


def test_an_alert_about_one_instance_names_it_and_its_resolve_names_only_it():
    """Issue 11 item 2: the resolve of one dead instance never reads as the API being back."""
    firing = build_message(api_down_record("api-2:8000"), "firing", LINKS)
    resolved = build_message(api_down_record("api-2:8000", "resolved"), "resolved", LINKS)

    assert shown(firing["text"]) == "[FIRING] ApiDown on api-2:8000 — The API is down"
    assert shown(resolved["text"]) == "[RESOLVED] ApiDown on api-2:8000 — resolved after 1s"
    assert header(resolved) == ":white_check_mark: [RESOLVED] ApiDown on api-2:8000"
    summary = shown(blocks(resolved)[1]["text"]["text"])
    assert summary == "Was firing: *The API is down*"  # quoted as the past, not the present


def test_a_flapping_alert_shows_its_flap_count():
    message = build_message(error_rate_record(flaps=3), "firing", LINKS)

    assert shown(message["text"]).endswith("(flapping: 3 re-fires soon after a resolve)")
    assert facts(message)["Flapping"] == "flapping: 3 re-fires soon after a resolve"
    assert "Flapping" not in facts(build_message(error_rate_record(), "firing", LINKS))


def test_an_inferred_resolve_says_it_was_inferred():
    message = build_message(resolved_record(resolution="inferred"), "resolved", LINKS)

    assert shown(message["text"]) == (
        "[RESOLVED] HighErrorRate — resolved: no longer reported by Alertmanager (after 4m 30s)"
    )
    assert facts(message)["Resolution"] == (
        "resolved: no longer reported by Alertmanager (inferred by reconciliation)"
    )
    plain = build_message(resolved_record(), "resolved", LINKS)
    assert "Resolution" not in facts(plain)


def test_resolved_reads_value_now_peak_threshold_and_duration_never_the_firing_value():
    record = resolved_record(resolved_value=0.4, peak_value=37.5, duration_seconds=252.4)

    message = build_message(record, "resolved", LINKS)

    assert shown(message["text"]) == (
        "[RESOLVED] HighErrorRate — error rate now 0.4 % (peak 37.5 %, threshold 5 %), "
        "resolved after 4m 12s"
    )
    assert facts(message)["Peak"] == "37.5 %"
    assert facts(message)["Duration"] == "4m 12s"


def test_a_resolve_prometheus_could_not_measure_says_why():
    note = "Prometheus did not answer within 1 s"
    message = build_message(resolved_record(resolved_note=note), "resolved", LINKS)

    assert shown(message["text"]).startswith(
        f"[RESOLVED] HighErrorRate — error rate now unknown ({note}), resolved after"
    )
    assert facts(message)["Value at resolve"] == f"unknown: {note}"


def test_culprits_lead_the_firing_message_before_the_description():
    culprits = [{"route": "api/v1/tasks/", "value": 80.0}, {"route": "api/v1/x/", "value": 2.5}]
    message = build_message(error_rate_record(culprits=culprits), "firing", LINKS)

    assert shown(message["text"]) == (
        "[FIRING] HighErrorRate — error rate 37.5 % > 5 % threshold · "
        "where: api/v1/tasks/ (80 %), api/v1/x/ (2.5 %)"
    )
    blocks = message["attachments"][0]["blocks"]
    assert blocks[1]["text"]["text"] == (
        "*Where it breaks*\n• `api/v1/tasks/ (80 %)`\n• `api/v1/x/ (2.5 %)`"
    )
    assert blocks[2]["text"]["text"].startswith("*Error rate is 37.5 %*")
