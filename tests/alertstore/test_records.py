"""alertstore.records: stable ids, derived fields, JSON that round-trips exactly."""

import itertools
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from alertstore import records
from tests.alertstore.events import T0, event


def test_the_id_is_stable_across_spellings_of_the_same_instant():
    spellings = [
        datetime.fromisoformat("2025-10-15T12:00:00Z"),
        datetime.fromisoformat("2025-10-15T12:00:00.000000000Z"),
        datetime.fromisoformat("2025-10-15T14:00:00+02:00"),
    ]

    assert len({records.alert_id("fp", moment) for moment in spellings}) == 1
    assert len(records.alert_id("fp", T0)) == 20


def test_the_id_differs_by_fingerprint_and_start():
    ids = {
        records.alert_id("fp", T0),
        records.alert_id("fp2", T0),
        records.alert_id("fp", T0 + timedelta(milliseconds=1)),
    }
    assert len(ids) == 3


def test_the_webhook_and_the_alertmanager_api_spellings_give_one_id():
    """The webhook carries startsAt to the nanosecond, `/api/v2/alerts` to the millisecond
    (seen from prometheus-alertmanager 0.25): reconciliation must find the same record."""
    webhook = datetime.fromisoformat("2026-12-01T09:27:42.859247+00:00")
    api = datetime.fromisoformat("2026-12-01T09:27:42.859Z")

    assert records.alert_id("fp", webhook) == records.alert_id("fp", api)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"severity": "critical"}, "CRITICAL"),
        ({"severity": "Info"}, "INFO"),
        ({"severity": "page"}, "WARNING"),
        ({}, "WARNING"),
    ],
)
def test_severity(labels, expected):
    assert records.severity_of(labels) == expected


def test_alert_type_falls_back_to_the_alertname():
    assert records.alert_type_of({"alertname": "HighErrorRate"}) == "high_error_rate"
    assert records.alert_type_of({"alertname": "ApiDown", "alert_type": "api_down"}) == "api_down"


def test_new_record_derives_message_and_values():
    ev = records.AlertEvent(
        status="firing",
        labels={"alertname": "HighLatency", "severity": "loud"},
        annotations={"description": "p95 is high", "value": "612.5", "threshold": "n/a"},
        starts_at=T0,
        ends_at=T0 + timedelta(minutes=5),  # Alertmanager's resolve timeout: still firing
        fingerprint="fp",
    )
    record = records.new_record(ev, T0)

    assert record["message"] == "p95 is high"
    assert record["severity"] == "WARNING"
    assert record["labels"]["severity"] == "loud"
    assert record["metric_value"] == 612.5
    assert record["threshold_value"] is None
    assert record["ends_at"] is None
    assert (
        records.new_record(
            records.AlertEvent("firing", {"alertname": "X"}, T0, "fp", {"value": "nan"}), T0
        )["message"]
        == "X"
    )


def test_resolved_without_end_time_ends_now():
    later = T0 + timedelta(minutes=3)
    assert records.new_record(event(status="resolved"), later)["ends_at"] == records.isoformat(
        later
    )


def test_times_are_fixed_width_utc():
    assert (
        records.isoformat(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2025-01-02T03:04:05.000Z"
    )
    east = timezone(timedelta(hours=2))
    assert records.isoformat(datetime(2025, 1, 2, 5, 4, 5, 123456, tzinfo=east)) == (
        "2025-01-02T03:04:05.123Z"
    )


def test_encode_decode_round_trip():
    record = records.new_record(event(value="0.1"), T0)

    assert records.decode(records.encode(record)) == record
    assert '"metric_value":"0.1"' in records.encode(record)


STATE_LISTS = [
    list(states)
    for n in range(3)
    for states in itertools.product(records.NOTIFICATION_STATES, repeat=n)
]


@pytest.mark.parametrize("states", STATE_LISTS, ids=lambda s: ",".join(s) or "none")
def test_delivery_is_the_strongest_state_and_the_scripts_agree(store, states):
    notes = [{"kind": "firing", "state": state} for state in states]
    want = next((s for s in ("failed", "pending", "sent") if s in states), None)

    in_lua = store.eval(
        records.LUA_DELIVERY_OF + "local d = delivery_of(cjson.decode(ARGV[1]))\n"
        "if d == cjson.null then return false end return d",
        0,
        json.dumps({"notifications": notes or {}}),
    )

    assert records.delivery_of(notes) == want
    assert (in_lua.decode() if in_lua else None) == want


def test_a_record_stored_before_schema_4_reads_with_its_delivery_and_time_to_page():
    record = records.new_record(event(starts_at=T0), T0)
    old = {k: v for k, v in record.items() if k not in ("time_to_page_seconds", "delivery")}
    firing = {
        "kind": "firing",
        "state": "sent",
        "attempts": 1,
        "last_http_status": 200,
        "last_error": None,
        "enqueued_at": records.isoformat(T0),
        "sent_at": records.isoformat(T0 + timedelta(seconds=12.5)),
    }
    old["notifications"] = [firing, {**firing, "kind": "resolved", "state": "pending"}]

    decoded = records.decode(records.encode(old))

    assert (decoded["time_to_page_seconds"], decoded["delivery"]) == (12.5, "pending")
    assert [n["ledger"] for n in decoded["notifications"]] == [[], []]
