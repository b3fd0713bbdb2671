"""The Idempotency-Key header's syntax and the request fingerprint (idempotency/keys.py)."""

import pytest

from idempotency.keys import KEY_INVALID, fingerprint, parse_key

UUID = "8e03978e-40d5-43e8-bc93-6894a57f9324"  # the draft's example


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (UUID, UUID),  # bare, as most clients send it
        (f'"{UUID}"', UUID),  # the draft's sf-string
        ('"a\\"b\\\\c"', 'a"b\\c'),  # sf-string escapes
        ("x" * 255, "x" * 255),
        ("!~", "!~"),
    ],
)
def test_valid_keys(value, key):
    assert parse_key(value) == key


@pytest.mark.parametrize(
    "value",
    [
        "",
        '""',
        "x" * 256,
        f'"{"x" * 256}"',
        "two words",
        '"two words"',  # a legal sf-string, but keys are visible characters only
        "caf\xe9",  # a latin-1 byte, as WSGI hands a non-ASCII header over
        "tab\tkey",
        '"unterminated',
        '"key";param=1',  # an sf-item with parameters: not a bare string
        '"a\\nb"',  # sf-strings escape only " and \\
        '"a"b"',
    ],
)
def test_invalid_keys(value):
    with pytest.raises(ValueError, match="Idempotency-Key must be") as raised:
        parse_key(value)
    assert str(raised.value) == KEY_INVALID


def test_fingerprint_is_the_parsed_body_not_its_bytes():
    same = fingerprint(method="POST", path="/t/", data={"a": 1, "b": [1, 2]})

    assert fingerprint(method="POST", path="/t/", data={"b": [1, 2], "a": 1}) == same
    assert fingerprint(method="POST", path="/t/", data={"a": 1, "b": [2, 1]}) != same
    assert fingerprint(method="POST", path="/u/", data={"a": 1, "b": [1, 2]}) != same
    assert fingerprint(method="PUT", path="/t/", data={"a": 1, "b": [1, 2]}) != same
