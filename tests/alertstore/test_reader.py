"""alertstore.reader against a real Redis: filters, newest first, paging, bounds, schema."""

from datetime import datetime

import pytest

from alertstore import layout, reader, writer
from alertstore.records import alert_id
from tests.alertstore.events import T0, event, minutes


def store_events(store, *events):
    writer.record_transitions(
        store, events, now=T0 + minutes(60), cooldown_seconds=300, flap_window_seconds=3600
    )


@pytest.fixture
def history(store):
    """Six alerts, one a minute from T0: error/latency alternating, the first two resolved."""
    events = []
    for i in range(6):
        kind = ("error", "high_error_rate") if i % 2 == 0 else ("warning", "high_latency")
        events.append(
            event(
                fingerprint=f"fp{i}",
                starts_at=T0 + minutes(i),
                severity=kind[0],
                alert_type=kind[1],
            )
        )
    store_events(store, *events)
    store_events(
        store,
        *(
            event(status="resolved", fingerprint=f"fp{i}", starts_at=T0 + minutes(i))
            for i in range(2)
        ),
    )
    return [alert_id(f"fp{i}", T0 + minutes(i)) for i in range(6)]


def ids(page):
    return [record["id"] for record in page]


def test_lists_everything_newest_first(store, history):
    total, page = reader.list_alerts(store)

    assert total == 6
    assert ids(page) == history[::-1]


def test_pages_with_offset_and_limit(store, history):
    assert reader.list_alerts(store, offset=2, limit=2) == (6, reader.list_alerts(store)[1][2:4])
    assert reader.list_alerts(store, offset=6, limit=2) == (6, [])
    assert reader.list_alerts(store, limit=0) == (6, [])


@pytest.mark.parametrize("severity", ["ERROR", "error", " Error "])
def test_filters_by_severity_case_insensitively(store, history, severity):
    total, page = reader.list_alerts(store, severity=severity)

    assert total == 3
    assert ids(page) == [history[4], history[2], history[0]]


def test_filters_by_alert_type_and_status(store, history):
    assert ids(reader.list_alerts(store, alert_type="high_latency")[1]) == history[5::-2]
    assert ids(reader.list_alerts(store, status="resolved")[1]) == [history[1], history[0]]
    assert reader.list_alerts(store, alert_type="nothing_like_it") == (0, [])


def test_since_and_until_bound_starts_at_inclusively(store, history):
    total, page = reader.list_alerts(store, since=T0 + minutes(1), until=T0 + minutes(3))

    assert total == 3
    assert ids(page) == [history[3], history[2], history[1]]


def test_naive_bounds_are_utc(store, history):
    naive = datetime(2025, 10, 15, 12, 4)

    assert reader.list_alerts(store, since=naive)[0] == 2


def test_combines_filters_and_bounds(store, history):
    total, page = reader.list_alerts(
        store, severity="error", status="firing", since=T0 + minutes(1), offset=1, limit=5
    )

    assert total == 2
    assert ids(page) == [history[2]]


def test_combined_filters_page_deep(store):
    """A page far into a two-filter listing of thousands of records."""
    events = [
        event(
            fingerprint=f"fp{i}",
            starts_at=T0 + minutes(i),
            severity="critical" if i % 2 == 0 else "info",
            alert_type="api_down" if i % 3 else "high_latency",
        )
        for i in range(3000)
    ]
    for start in range(0, len(events), 500):
        store_events(store, *events[start : start + 500])
    wanted = [i for i in range(2999, -1, -1) if i % 2 == 0 and i % 3]
    expected = [alert_id(f"fp{i}", T0 + minutes(i)) for i in wanted]

    total, page = reader.list_alerts(
        store, severity="CRITICAL", alert_type="api_down", offset=600, limit=20
    )

    assert total == len(expected)
    assert ids(page) == expected[600:620]


def test_bad_arguments_are_named(store):
    with pytest.raises(ValueError, match="severity must be one of INFO"):
        reader.list_alerts(store, severity="loud")
    with pytest.raises(ValueError, match="status must be one of firing"):
        reader.list_alerts(store, status="open")
    with pytest.raises(ValueError, match="delivery must be one of pending, failed, sent"):
        reader.list_alerts(store, delivery="lost")
    with pytest.raises(ValueError, match="offset and limit"):
        reader.list_alerts(store, offset=-1)


def test_get_alert(store, history):
    assert reader.get_alert(store, history[0])["id"] == history[0]
    assert reader.get_alert(store, "0" * 20) is None


def test_schema_check(store):
    reader.check_schema(store)  # empty store: fine

    store_events(store, event())
    reader.check_schema(store)

    store.set(layout.SCHEMA_KEY, "99")
    with pytest.raises(layout.SchemaMismatch, match=r"schema is 99, this reader reads 4$"):
        reader.check_schema(store)

    store.set(layout.SCHEMA_KEY, "3")  # not yet upgraded: readiness names the command
    with pytest.raises(
        layout.SchemaMismatch,
        match=r"schema is 3, this reader reads 4; upgrade the store with "
        r"`python -m alertstore\.migrate`$",
    ):
        reader.check_schema(store)

    store.delete(layout.SCHEMA_KEY)
    with pytest.raises(layout.SchemaMismatch, match="no schema version"):
        reader.check_schema(store)


def test_reads_through_a_decoding_client(redis_server, history):
    """The API may create its client with decode_responses=True; both kinds work."""
    client = redis_server.client()
    text_client = type(client)(port=redis_server.port, decode_responses=True)

    assert reader.list_alerts(text_client) == reader.list_alerts(client)
    reader.check_schema(text_client)
