"""Webhook fuzzing against the bridge under gunicorn: whatever a client sends that is not a
valid, authenticated version-4 payload gets a JSON 4xx and leaves nothing in Redis."""

from __future__ import annotations

import copy
import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bridge.conftest import TOKEN
from tests.bridge.payloads import alert, webhook
from tests.security.conftest import bridge_auth
from tests.support.redis_plugin import session_redis

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
STORED = ("taskmgr:alert:*", "taskmgr:alerts:*", "taskmgr:outbox:*", "taskmgr:cooldown:*")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
not_a_string = json_values.filter(lambda v: not isinstance(v, str))
not_an_object_of_strings = json_values.filter(
    lambda v: not (isinstance(v, dict) and all(isinstance(x, str) for x in v.values()))
)
# Not an RFC 3339 time with a zone (or one past the end of the calendar in UTC).
bad_times = st.sampled_from(
    ["", "yesterday", "2025-10-15", "2025-10-15T12:00:00", "2025-13-01T00:00:00Z",
     "9999-12-31T23:59:59-23:59"]
) | not_a_string.filter(lambda v: v is not None)  # fmt: skip
ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's "not set": fine for endsAt, not startsAt


def _valid() -> dict:
    return webhook(alert())


def _set(path: tuple, value) -> dict:
    doc = _valid()
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def _drop(path: tuple) -> dict:
    doc = _valid()
    target = doc
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return doc


REQUIRED = [
    ("version",), ("status",), ("receiver",), ("groupKey",), ("alerts",),
    ("alerts", 0, "labels"), ("alerts", 0, "labels", "alertname"),
    ("alerts", 0, "fingerprint"), ("alerts", 0, "startsAt"), ("alerts", 0, "status"),
]  # fmt: skip

# Where a value is set, and values that are wrong there.
WRONG_VALUES = [
    (("version",), json_values.filter(lambda v: v != "4")),
    (("status",), json_values.filter(lambda v: v not in ("firing", "resolved"))),
    (("receiver",), not_a_string),
    (("alerts",), json_values.filter(lambda v: not (isinstance(v, list) and v))),
    (("alerts", 0), json_values.filter(lambda v: not isinstance(v, dict))),
    (("alerts", 0, "labels"), not_an_object_of_strings),
    (("alerts", 0, "annotations"), not_an_object_of_strings.filter(lambda v: v is not None)),
    (("alerts", 0, "startsAt"), bad_times | st.just(ZERO_TIME)),
    (("alerts", 0, "endsAt"), bad_times.filter(lambda v: v is not None)),
    (("alerts", 0, "fingerprint"), st.just("") | st.text(min_size=129) | not_a_string),
]

invalid_documents = st.one_of(
    json_values.filter(lambda v: not isinstance(v, dict)),
    st.builds(_drop, st.sampled_from(REQUIRED)),
    *(st.builds(_set, st.just(path), values) for path, values in WRONG_VALUES),
)


def _nothing_stored() -> list[bytes]:
    client = session_redis().client()
    return [key for pattern in STORED for key in client.scan_iter(pattern)]


def _post(url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{url}/webhook", data=body, headers=headers, timeout=10)


def _assert_refused(response: requests.Response, status: int) -> None:
    assert response.status_code == status, (response.request.body, response.text)
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert _nothing_stored() == []


@pytest.fixture(autouse=True)
def _empty_store(redis_server):
    """The fuzzed bridge writes into the session Redis: start each test from empty."""


def test_the_valid_payload_is_stored(live_bridge):
    # The baseline the mutations start from is itself accepted, so a 400 below is about
    # the mutation, not about a broken template.
    response = _post(live_bridge.url, json.dumps(_valid()).encode(), bridge_auth())
    assert response.status_code == 200, response.text
    assert _nothing_stored() != []


@FUZZ
@given(document=invalid_documents)
def test_invalid_payloads_are_400_and_store_nothing(live_bridge, document):
    _assert_refused(_post(live_bridge.url, json.dumps(document).encode(), bridge_auth()), 400)


@FUZZ
@given(body=st.binary(max_size=300))
def test_bytes_that_are_not_a_webhook_are_400(live_bridge, body):
    _assert_refused(_post(live_bridge.url, body, bridge_auth()), 400)


def test_deeply_nested_json_is_400(live_bridge):
    body = b"[" * 100_000 + b"]" * 100_000
    _assert_refused(_post(live_bridge.url, body, bridge_auth()), 400)


printable_headers = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)


@FUZZ
@given(header=printable_headers.map(str.strip).filter(lambda h: TOKEN not in h))
def test_a_valid_payload_without_the_token_is_401_and_stores_nothing(live_bridge, header):
    headers = {"Content-Type": "application/json", "Authorization": header}
    body = json.dumps(copy.deepcopy(_valid())).encode()
    _assert_refused(_post(live_bridge.url, body, headers), 401)


def test_no_authorization_header_is_401(live_bridge):
    body = json.dumps(_valid()).encode()
    _assert_refused(_post(live_bridge.url, body, {"Content-Type": "application/json"}), 401)
