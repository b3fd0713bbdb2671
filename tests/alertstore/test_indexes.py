"""The combination indexes against brute force: every filter set (delivery state included),
time bound and page of a random history lists exactly what filtering all of its records
does, after the writer and the delivery marks moved records between them."""

from datetime import timedelta

import pytest

from alertstore import layout, notifications, writer
from tests.alertstore.brute_force import (
    assert_lists_like_brute_force,
    filter_combinations,
    random_history,
)
from tests.alertstore.events import T0

BATCH = 50


def store_all(store, events):
    for start in range(0, len(events), BATCH):
        writer.record_transitions(
            store,
            events[start : start + BATCH],
            now=T0 + timedelta(days=1),
            cooldown_seconds=300,
            flap_window_seconds=3600,
        )


@pytest.fixture(params=[1, 2], ids=lambda seed: f"seed{seed}")
def history(request, store):
    """A random history of 300 records, stored, most first messages marked as the delivery
    worker would, then half of its firing ones resolved."""
    history = random_history(request.param)
    store_all(store, history.created)
    for alert_id, state in history.marks:
        notifications.mark(store, alert_id, 0, state, None, None, T0 + timedelta(days=1))
    store_all(store, history.resolutions)
    return history


def test_every_filter_combination_lists_like_brute_force(store, history):
    checked = assert_lists_like_brute_force(store, history)

    # (severities + any) * (types + absent + any) * (statuses + any) * (deliveries + any)
    # * bounds
    assert checked == 5 * 9 * 3 * 4 * 4
    deliveries = {e.delivery for e in history.expected}
    assert deliveries == {None, "pending", "failed", "sent"}  # every state is exercised


def test_every_index_holds_exactly_its_records_after_status_moves(store, history):
    keys = {layout.text(k) for k in store.scan_iter(match=f"{layout.INDEX_KEY_PREFIX}*")}
    nonempty = set()
    for filters in filter_combinations():
        want = {e.id: e.score for e in history.expected if e.matches(*filters, None, None)}
        key = layout.index_key(*filters)
        held = {layout.text(m): s for m, s in store.zrange(key, 0, -1, withscores=True)}
        assert held == want, filters
        if want:
            nonempty.add(key)

    assert keys == nonempty  # no other index, none left empty
    assert len(history.resolutions) > 50  # the moves this test is about did happen
    assert len(history.marks) > 150
