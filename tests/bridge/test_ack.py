"""Acknowledge (bridge.ack): signed links → the page → real Alertmanager silences, the record
and one `acknowledged` message, over a real Redis and real Alertmanagers; forged, expired
and altered links, and bad forms, change nothing."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from alertstore import layout, reader, records, writer
from bridge import ack, create_app
from bridge.payload import parse_time
from bridge.slack import Links, build_message
from testkit.alertmanager import Alertmanager
from testkit.polling import wait_until
from tests.bridge.conftest import ACK_KEY

DEADLINE = 60
SUMMARY = "More than 5 % of requests fail"


@pytest.fixture
def alertmanager(tmp_path):
    am = Alertmanager(tmp_path, "am-1")
    am.process.start()
    yield am
    am.process.stop()


@pytest.fixture
def stopped_alertmanager(tmp_path):
    am = Alertmanager(tmp_path, "am-stopped")
    am.process.start()
    am.process.stop()
    return am


@pytest.fixture
def ack_app(config, alertmanager):
    return create_app(replace(config, alertmanager_urls=(alertmanager.url,)))


@pytest.fixture
def web(ack_app):
    return ack_app.test_client()


def fire(store, am: Alertmanager, alertname: str = "HighErrorRate", **labels) -> str:
    """The alert firing in Alertmanager, and its record as the webhook stores it; the id."""
    listed = am.post(alertname, alert_type="high_error_rate", **labels)
    event = records.AlertEvent(
        status="firing",
        labels=listed["labels"],
        annotations={"summary": SUMMARY},
        starts_at=parse_time(listed["startsAt"], "startsAt"),
        fingerprint=listed["fingerprint"],
    )
    now = datetime.now(UTC)
    return writer.record_transition(
        store, event, now=now, cooldown_seconds=300, flap_window_seconds=3600
    ).alert_id


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def link_fields(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def submit(web, url: str, **form: str):
    fields = {"name": "alice", "duration": "1h", "comment": "on it", **form}
    return web.post(urlsplit(url).path, data={**link_fields(url), **fields})


def snapshot(store, alert_id: str) -> tuple:
    """Everything an acknowledge could change: the record and the outbox."""
    return store.get(layout.record_key(alert_id)), store.lrange(layout.OUTBOX_PENDING_KEY, 0, -1)


def acknowledged_messages(store, alert_id: str) -> list[dict]:
    notifications = reader.get_alert(store, alert_id)["notifications"]
    return [n for n in notifications if n["kind"] == "acknowledged"]


def test_a_valid_link_silences_exactly_the_alert_and_records_who_once(
    web, ack_app, store, alertmanager
):
    alert_id = fire(store, alertmanager, instance="api-1:8000")
    url = ack.link(ack_app.config["BRIDGE"], alert_id, datetime.now(UTC))
    assert url.startswith(f"{ack_app.config['BRIDGE'].external_url}/ack/{alert_id}?")

    page = web.get(path_of(url))
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for shown in ("HighErrorRate", "api-1:8000", "ERROR", SUMMARY, "Firing since", "Acknowledge"):
        assert shown in html
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "no-referrer"

    before = datetime.fromisoformat(records.isoformat(datetime.now(UTC)))  # records keep ms
    done = submit(web, url)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "Acknowledged by alice" in done.get_data(as_text=True)

    [silence] = alertmanager.silences()
    labels = reader.get_alert(store, alert_id)["labels"]
    assert {m["name"]: m["value"] for m in silence["matchers"]} == labels
    assert not any(m["isRegex"] for m in silence["matchers"])
    assert silence["createdBy"] == "alice" and "on it" in silence["comment"]
    # Alertmanager itself now mutes the alert
    wait_until(lambda: alertmanager.listed("HighErrorRate", "silencedBy"), "alert silenced")

    record = reader.get_alert(store, alert_id)
    assert record["acknowledged_by"] == "alice" and record["ack_comment"] == "on it"
    assert before <= datetime.fromisoformat(record["acknowledged_at"]) <= datetime.now(UTC)
    assert record["silence_ids"] == [silence["id"]]
    acknowledged_at = datetime.fromisoformat(record["acknowledged_at"])
    assert parse_time(silence["endsAt"], "endsAt") == acknowledged_at + timedelta(hours=1)
    [message] = acknowledged_messages(store, alert_id)
    assert message["state"] == "pending"
    entry = layout.outbox_entry(alert_id, len(record["notifications"]) - 1)
    assert entry.encode() in store.lrange(layout.OUTBOX_PENDING_KEY, 0, -1)

    # a second submit (anyone, same link) changes nothing and says who and when
    unchanged = snapshot(store, alert_id)
    again = submit(web, url, name="bob", duration="4h")
    assert again.status_code == 409
    text = again.get_data(as_text=True)
    assert "Acknowledged by alice" in text and record["acknowledged_at"] in text
    assert len(alertmanager.silences()) == 1
    assert snapshot(store, alert_id) == unchanged
    assert "Acknowledged by alice" in web.get(path_of(url)).get_data(as_text=True)


def _forged(config, alert_id, other_id):
    forger = replace(config, ack_signing_key="another-key-the-bridge-never-had-0123")
    return ack.link(forger, alert_id, datetime.now(UTC))


def _expired(config, alert_id, other_id):
    return ack.link(config, alert_id, datetime.now(UTC) - timedelta(seconds=3601))


def _other_record(config, alert_id, other_id):
    return ack.link(config, alert_id, datetime.now(UTC)).replace(alert_id, other_id)


def _other_expiry(config, alert_id, other_id):
    url = ack.link(config, alert_id, datetime.now(UTC))
    expires = link_fields(url)["expires"]
    return url.replace(f"expires={expires}", f"expires={int(expires) + 86400}")


@pytest.mark.parametrize(
    ("make_link", "status", "says"),
    [
        (_forged, 403, ack.FORGED),
        (_expired, 410, "This Acknowledge link expired at"),
        (_other_record, 403, ack.FORGED),
        (_other_expiry, 403, ack.FORGED),
    ],
    ids=["forged", "expired", "other record id", "other expiry"],
)
def test_a_forged_expired_or_altered_link_is_refused_and_changes_nothing(
    web, ack_app, store, alertmanager, caplog, make_link, status, says
):
    alert_id = fire(store, alertmanager)
    other_id = fire(store, alertmanager, "HighLatency")
    url = make_link(ack_app.config["BRIDGE"], alert_id, other_id)
    before = snapshot(store, alert_id), snapshot(store, other_id)
    caplog.set_level(logging.DEBUG)

    for answer in (web.get(path_of(url)), submit(web, url)):
        assert answer.status_code == status
        assert answer.mimetype == "text/html"
        html = answer.get_data(as_text=True)
        assert says in html and ack.UNCHANGED in html
        assert "<form" not in html and SUMMARY not in html  # nothing of the alert shown
    assert (snapshot(store, alert_id), snapshot(store, other_id)) == before
    assert alertmanager.silences() == []
    # the signature and the key never reach the log
    assert link_fields(url)["sig"] not in caplog.text and ACK_KEY not in caplog.text


def test_a_link_without_its_signature_is_refused(web, store, alertmanager):
    alert_id = fire(store, alertmanager)
    answer = web.get(f"/ack/{alert_id}")
    assert answer.status_code == 403 and ack.FORGED in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "field", "says"),
    [
        ({"name": ""}, "name", "Give your name"),
        ({"name": "   "}, "name", "Give your name"),
        ({"name": "x" * 81}, "name", "at most 80 characters"),
        ({"duration": "1000d"}, "duration", "between 1m and 24h"),
        ({"duration": "25h"}, "duration", "between 1m and 24h"),
        ({"duration": "30s"}, "duration", "between 1m and 24h"),
        ({"duration": "0"}, "duration", "between 1m and 24h"),
        ({"duration": "soon"}, "duration", "between 1m and 24h"),
        ({"comment": "x" * 501}, "comment", "at most 500 characters"),
    ],
)
def test_bad_form_input_is_a_clear_400_and_changes_nothing(
    web, ack_app, store, alertmanager, form, field, says
):
    alert_id = fire(store, alertmanager)
    url = ack.link(ack_app.config["BRIDGE"], alert_id, datetime.now(UTC))
    before = snapshot(store, alert_id)
    answer = submit(web, url, **form)
    assert answer.status_code == 400 and answer.mimetype == "text/html"
    html = answer.get_data(as_text=True)
    assert f'id="problem-{field}"' in html and says in html and "Nothing was acknowledged" in html
    assert "<form" in html  # the form again, to correct
    assert snapshot(store, alert_id) == before
    assert alertmanager.silences() == []


def test_one_unreachable_alertmanager_does_not_fail_the_others(
    config, store, alertmanager, stopped_alertmanager
):
    urls = (stopped_alertmanager.url, alertmanager.url)
    app = create_app(replace(config, alertmanager_urls=urls))
    alert_id = fire(store, alertmanager)
    url = ack.link(app.config["BRIDGE"], alert_id, datetime.now(UTC))
    answer = submit(app.test_client(), url)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    [silence] = alertmanager.silences()
    assert reader.get_alert(store, alert_id)["silence_ids"] == [silence["id"]]
    assert len(acknowledged_messages(store, alert_id)) == 1


def test_with_no_alertmanager_reachable_it_is_an_error_page_and_nothing_is_stored(
    config, store, alertmanager, stopped_alertmanager
):
    app = create_app(replace(config, alertmanager_urls=(stopped_alertmanager.url,)))
    alert_id = fire(store, alertmanager)
    url = ack.link(app.config["BRIDGE"], alert_id, datetime.now(UTC))
    before = snapshot(store, alert_id)
    answer = submit(app.test_client(), url)
    assert answer.status_code == 502 and answer.mimetype == "text/html"
    html = answer.get_data(as_text=True)
    assert "No Alertmanager could create the silence" in html
    assert stopped_alertmanager.url in html and "nothing was acknowledged" in html
    assert snapshot(store, alert_id) == before
    assert reader.get_alert(store, alert_id)["acknowledged_by"] is None


def test_a_post_from_another_site_is_refused(web, ack_app, store, alertmanager):
    alert_id = fire(store, alertmanager)
    url = ack.link(ack_app.config["BRIDGE"], alert_id, datetime.now(UTC))
    before = snapshot(store, alert_id)
    fields = {**link_fields(url), "name": "mallory", "duration": "24h"}
    answer = web.post(
        urlsplit(url).path, data=fields, headers={"Origin": "https://elsewhere.example"}
    )
    assert answer.status_code == 403 and "posted from another site" in answer.get_data(as_text=True)
    assert snapshot(store, alert_id) == before and alertmanager.silences() == []
    ours = web.post(urlsplit(url).path, data=fields, headers={"Origin": "http://localhost"})
    assert ours.status_code == 200  # the host it was reached at is same-origin


def test_a_resolved_alert_offers_nothing_to_acknowledge(web, ack_app, store, alertmanager):
    alert_id = fire(store, alertmanager)
    writer.resolve_inferred(store, alert_id, now=datetime.now(UTC))
    url = ack.link(ack_app.config["BRIDGE"], alert_id, datetime.now(UTC))
    page = web.get(path_of(url)).get_data(as_text=True)
    assert "nothing to acknowledge" in page and "<form" not in page
    before = snapshot(store, alert_id)
    assert submit(web, url).status_code == 409
    assert snapshot(store, alert_id) == before and alertmanager.silences() == []


def test_slack_gets_the_acknowledge_link_then_one_acknowledged_message(
    ack_app, store, alertmanager, fake_slack, start_worker
):
    """Through the real delivery worker: the firing message's Acknowledge button opens the
    page; acknowledging there makes exactly one more Slack message, naming who."""
    web = ack_app.test_client()
    config = ack_app.config["BRIDGE"]
    alert_id = fire(store, alertmanager)
    start_worker(
        fake_slack.url,
        BRIDGE_EXTERNAL_URL=config.external_url,
        ACK_SIGNING_KEY=config.ack_signing_key,
        ALERTMANAGER_URLS=alertmanager.url,
    )
    [firing] = fake_slack.wait_for(1, timeout=DEADLINE)
    buttons = {
        e["text"]["text"]: e["url"]
        for block in firing["attachments"][0]["blocks"]
        if block["type"] == "actions"
        for e in block["elements"]
    }
    assert web.get(path_of(buttons["Acknowledge"])).status_code == 200
    assert submit(web, buttons["Acknowledge"], comment="rolling back").status_code == 200
    messages = fake_slack.wait_for(2, timeout=DEADLINE)
    assert "acknowledged by alice: rolling back" in messages[1]["text"]
    assert messages[1]["text"].startswith("[ACKNOWLEDGED] HighErrorRate")
    wait_until(lambda: acknowledged_messages(store, alert_id)[0]["state"] == "sent", "marked sent")
    assert len(fake_slack.received) == 2


def test_the_acknowledged_message_says_who_when_and_why_and_offers_no_buttons_to_act():
    record = {
        "alertname": "HighErrorRate",
        "severity": "ERROR",
        "labels": {"alertname": "HighErrorRate"},
        "annotations": {"summary": SUMMARY},
        "starts_at": "2026-01-01T12:00:00.000Z",
        "acknowledged_by": "alice <admin>",
        "acknowledged_at": "2026-01-01T12:03:00.000Z",
        "ack_comment": "on it",
        "silence_ids": ["s-1"],
    }
    links = Links("http://prom:9090", "http://am:9093", "http://grafana:3000")
    message = build_message(record, "acknowledged", links, ack_url="http://bridge/ack/x")
    assert (
        message["text"]
        == "[ACKNOWLEDGED] HighErrorRate — acknowledged by alice &lt;admin&gt;: on it"
    )
    blocks = message["attachments"][0]["blocks"]
    facts = " ".join(
        f["text"] for b in blocks if b["type"] == "section" for f in b.get("fields", [])
    )
    assert "*Acknowledged at*\n2026-01-01 12:03:00 UTC" in facts and "*Comment*\non it" in facts
    labels = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert "Acknowledge" not in labels and "Silence" not in labels
    # an acknowledged alert's reminder offers no second Acknowledge either
    reminder = build_message(record, "reminder", links, ack_url="http://bridge/ack/x")
    assert "http://bridge/ack/x" not in str(reminder)
    fresh = {**record, "acknowledged_by": None}
    assert "http://bridge/ack/x" in str(
        build_message(fresh, "firing", links, ack_url="http://bridge/ack/x")
    )
