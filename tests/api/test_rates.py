"""Throttle rate strings: `100/min` and friends, nothing DRF would misread."""

import pytest

from taskmgr.rates import RateError, parse_rate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100/min", (100, 60)),
        ("1000/minute", (1000, 60)),
        ("10/m", (10, 60)),
        ("5/s", (5, 1)),
        ("2/hour", (2, 3600)),
        ("50 / days", (50, 86400)),
        ("3/MIN", (3, 60)),
    ],
)
def test_valid_rates(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["100/month", "100/ms", "100", "/min", "-1/min", "1.5/min",
                                  "0/min", "100/min/extra", ""])  # fmt: skip
def test_malformed_rates_are_rejected(text):
    with pytest.raises(RateError):
        parse_rate(text)
