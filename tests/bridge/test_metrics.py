"""The web app's /metrics: counters as deltas, the outbox depth read from Redis."""

import requests
from prometheus_client.parser import text_string_to_metric_families

from alertstore import layout
from alertstore.records import SEVERITIES
from bridge.metrics import TIME_TO_PAGE_BUCKETS
from tests.bridge.conftest import auth
from tests.bridge.payloads import alert, webhook


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def delta(before, after, name, **labels):
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0) - before.get(key, 0)


def test_webhook_outcomes_and_transitions_are_counted(client, store):
    before = scrape(client)
    client.post("/webhook", json=webhook(alert(), alert(fingerprint="b")), headers=auth())
    client.post("/webhook", json=webhook(alert()), headers=auth())
    client.post("/webhook", json=webhook(alert()))
    client.post("/webhook", data=b"nope", headers=auth())
    after = scrape(client)

    received = "taskmgr_bridge_webhooks_received_total"
    stored = "taskmgr_bridge_alerts_stored_total"
    changes = {
        "accepted": delta(before, after, received, outcome="accepted"),
        "unauthorized": delta(before, after, received, outcome="unauthorized"),
        "invalid": delta(before, after, received, outcome="invalid"),
        "created": delta(before, after, stored, transition="created"),
        "duplicate": delta(before, after, stored, transition="duplicate"),
    }
    assert changes == {
        "accepted": 2,
        "unauthorized": 1,
        "invalid": 1,
        "created": 2,
        "duplicate": 1,
    }, after


def test_outbox_depth_is_read_at_scrape_time(client, store):
    client.post("/webhook", json=webhook(alert(), alert(fingerprint="b")), headers=auth())
    store.lmove(layout.OUTBOX_PENDING_KEY, layout.OUTBOX_PROCESSING_KEY)

    assert scrape(client)[("taskmgr_bridge_outbox_depth", ())] == 2

    store.delete(layout.OUTBOX_PENDING_KEY, layout.OUTBOX_PROCESSING_KEY)
    assert scrape(client)[("taskmgr_bridge_outbox_depth", ())] == 0


def test_a_fresh_delivery_worker_exports_every_delivery_outcome_at_zero(start_worker):
    # Grafana's Slack deliveries panel shows 0, not "no data", before the first delivery.
    worker = start_worker()

    text = requests.get(worker.metrics_url, timeout=5).text

    deliveries = {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "taskmgr_bridge_slack_deliveries_total"
    }
    assert deliveries == {"ok": 0, "failed": 0, "retried": 0}, text


def test_the_web_app_exports_every_webhook_outcome_and_transition_from_the_start(client):
    scraped = scrape(client)

    received = {
        dict(labels)["outcome"]
        for name, labels in scraped
        if name == "taskmgr_bridge_webhooks_received_total"
    }
    stored = {
        dict(labels)["transition"]
        for name, labels in scraped
        if name == "taskmgr_bridge_alerts_stored_total"
    }
    assert received == {"accepted", "unauthorized", "invalid", "too_large", "unavailable"}
    assert stored == {"created", "updated", "duplicate"}


def test_a_fresh_delivery_worker_exports_time_to_page_per_severity_at_zero(start_worker):
    # The time-to-page panel's quantiles have series (NaN, not "no data") before a page.
    worker = start_worker()

    text = requests.get(worker.metrics_url, timeout=5).text

    counts = {
        sample.labels["severity"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "taskmgr_bridge_time_to_page_seconds_count"
    }
    buckets = {
        float(sample.labels["le"])
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "taskmgr_bridge_time_to_page_seconds_bucket"
    }
    assert counts == dict.fromkeys(SEVERITIES, 0), text
    assert buckets == {*map(float, TIME_TO_PAGE_BUCKETS), float("inf")}
    assert min(TIME_TO_PAGE_BUCKETS) == 1 and max(TIME_TO_PAGE_BUCKETS) == 3600
