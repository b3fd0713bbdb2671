"""Throttle rates like `100/min`: one parser for settings (startup check) and the throttles.

DRF's own parser reads only the first letter of the period, so `10/month` would silently
mean ten per minute. This one accepts a fixed vocabulary and rejects everything else.
"""

import re

PERIOD_SECONDS = {
    "s": 1, "sec": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}  # fmt: skip

_RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")

RATE_FORMAT_HELP = "expected <count>/<period>, period one of " + ", ".join(PERIOD_SECONDS)


class RateError(ValueError):
    pass


def parse_rate(text: str) -> tuple[int, int]:
    """`'100/min'` → `(100, 60)`: allowed requests and the window in seconds."""
    match = _RATE.match(text.lower())
    if not match or match.group(2) not in PERIOD_SECONDS:
        raise RateError(f"{text!r}: {RATE_FORMAT_HELP}")
    count = int(match.group(1))
    if count < 1:
        raise RateError(f"{text!r}: the count must be at least 1")
    return count, PERIOD_SECONDS[match.group(2)]
