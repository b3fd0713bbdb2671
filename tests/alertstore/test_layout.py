"""alertstore.layout: index keys of free-form alert types encode and decode exactly."""

import pytest

from alertstore import layout
from tests.alertstore.brute_force import ALERT_TYPES


@pytest.mark.parametrize("alert_type", [*ALERT_TYPES, "", "%41", "�"])
def test_index_keys_round_trip_any_alert_type(alert_type):
    key = layout.index_key("ERROR", alert_type, "firing")

    assert layout.index_filters(key) == ("ERROR", alert_type, "firing", None)
    assert key.count(":") == 5 and not set(key[len(layout.INDEX_KEY_PREFIX) :]) & set("*?[]")
    by_delivery = layout.index_key("ERROR", alert_type, "firing", "failed")
    assert by_delivery == f"{key}:failed"
    assert layout.index_filters(by_delivery) == ("ERROR", alert_type, "firing", "failed")


def test_any_is_a_star_and_the_star_alert_type_is_not_any():
    assert layout.INDEX_KEY == "taskmgr:alerts:by:*:*:*"
    assert layout.index_filters(layout.index_key(status="resolved")) == (
        None,
        None,
        "resolved",
        None,
    )
    assert layout.index_key(delivery="sent") == "taskmgr:alerts:by:*:*:*:sent"
    assert layout.index_key(alert_type="*") != layout.INDEX_KEY


@pytest.mark.parametrize(
    "key",
    [
        "taskmgr:alerts:index",  # schema 1
        "taskmgr:alerts:by:severity:ERROR",  # schema 1
        "taskmgr:alerts:by:alert_type:a:b",  # schema 1, a type with a colon
        "taskmgr:alerts:by:LOUD:*:*",
        "taskmgr:alerts:by:*:*:open",
        "taskmgr:alerts:by:*:%41:*",  # not the one spelling of "A"
        "taskmgr:alerts:by:*:%ff:*",  # not UTF-8
        "taskmgr:alerts:by:*:*:*:lost",  # no delivery state
        "taskmgr:alerts:by:*:*:*:*",  # "any" delivery is the 3-part key
        "taskmgr:alerts:by:*:*:*:sent:x",
        "taskmgr:alert:0123",
    ],
)
def test_anything_else_is_not_an_index_key(key):
    with pytest.raises(ValueError, match="not an alert index key"):
        layout.index_filters(key)


def test_a_record_is_in_four_indexes_per_status_choice():
    keys = [layout.index_keys("INFO", "a:b", status) for status in (None, "firing")]

    assert keys[0] == [
        "taskmgr:alerts:by:INFO:a%3Ab:*",
        "taskmgr:alerts:by:INFO:*:*",
        "taskmgr:alerts:by:*:a%3Ab:*",
        "taskmgr:alerts:by:*:*:*",
    ]
    assert keys[1] == [key.removesuffix("*") + "firing" for key in keys[0]]


# reindex a record from absent to its state, then from that state to none
_REINDEX_TWICE = (
    layout.LUA_REINDEX
    + """
local rec = {severity = ARGV[1], alert_type = ARGV[2]}
reindex(rec, 'id-1', 5, nil, nil, ARGV[3], ARGV[4])
local keys = redis.call('KEYS', INDEX_PREFIX .. '*')
reindex(rec, 'id-1', 5, ARGV[3], ARGV[4], nil, nil)
return {keys, redis.call('EXISTS', INDEX_KEY)}
"""
)


@pytest.mark.parametrize("alert_type", [*ALERT_TYPES, "", "%41", "~-._", "\u00e9\U0001f600"])
@pytest.mark.parametrize("delivery", ["", "failed"])
def test_the_scripts_name_the_indexes_index_key_names(store, alert_type, delivery):
    store.flushdb()
    keys, left = store.register_script(_REINDEX_TWICE)(
        args=["INFO", alert_type, "resolved", *([delivery] if delivery else [])]
    )

    expected = layout.index_keys("INFO", alert_type, None) + layout.index_keys(
        "INFO", alert_type, "resolved"
    )
    if delivery:
        expected += layout.index_keys("INFO", alert_type, None, delivery)
        expected += layout.index_keys("INFO", alert_type, "resolved", delivery)
    assert sorted(layout.text(key) for key in keys) == sorted(expected)
    assert all(store.zscore(key, "id-1") is None for key in expected) and left == 0


def test_every_key_the_project_writes_is_under_the_prefix_and_named_here():
    keys = [
        layout.SCHEMA_KEY,
        layout.OUTBOX_PENDING_KEY,
        layout.OUTBOX_PROCESSING_KEY,
        layout.OUTBOX_LEASE_KEY,
        layout.record_key("id"),
        layout.INDEX_KEY,
        layout.index_key(delivery="failed"),
        layout.fingerprint_key("fp"),
        layout.ACTIVE_USERS_KEY,
        layout.CACHE_KEY_PREFIX,
        layout.HEARTBEAT_KEY,
        layout.PIPELINE_STATE_KEY,
        layout.SLACK_HEALTH_KEY,
        layout.throttle_key("throttle_user_5"),
    ]

    assert all(key.startswith(layout.PREFIX) for key in keys)
    assert len(set(keys)) == len(keys)
    assert layout.HEARTBEAT_KEY == "taskmgr:pipeline:heartbeat"  # agreed with WP4b
    assert layout.PIPELINE_STATE_KEY == "taskmgr:pipeline:state"
    assert layout.SLACK_HEALTH_KEY == "taskmgr:pipeline:slack"
