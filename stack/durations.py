"""Prometheus/Alertmanager duration strings (`1m30s`, `500ms`, `2h`): parse and describe.

Both tools use the same syntax (Prometheus' `model.ParseDuration`): units y w d h m s ms in
that order, each at most once, or a bare `0`.
"""

import re

_UNITS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
_PATTERN = re.compile(
    r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?"
)
_NAMES = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def seconds(text: str) -> float:
    """`1m30s` → 90.0; ValueError naming the expected syntax for anything else."""
    if text == "0":
        return 0.0
    match = _PATTERN.fullmatch(text)
    if not text or not match:
        raise ValueError(f"{text!r} is not a Prometheus duration (e.g. 15s, 5m, 1m30s, 500ms)")
    return sum(int(n) * unit for n, unit in zip(match.groups(), _UNITS.values(), strict=True) if n)


def describe(text: str) -> str:
    """A window for people: `5m` → "5 minutes", `15s` → "15 seconds", `90s` → "90 seconds"."""
    total = seconds(text)
    for name, size in _NAMES:
        if total >= size and total % size == 0:
            count = int(total // size)
            return f"{count} {name}{'' if count == 1 else 's'}"
    return f"{total:g} seconds"


def text(total: float) -> str:
    """Seconds as a Prometheus duration: 4320 → `1h12m`, 30 days → `30d` (days at most, as
    people write SLO windows), 0.5 → `500ms`."""
    millis = round(total * 1000)
    if millis == 0:
        return "0"
    parts = []
    for unit, size in _UNITS.items():
        if unit in ("y", "w"):
            continue
        count, millis = divmod(millis, round(size * 1000))
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
