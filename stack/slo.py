"""The SLO burn-rate windows, as the SRE workbook's multi-window, multi-burn-rate alerts use
them ("Alerting on SLOs"): page at 14.4x over 1h and 5m or 6x over 6h and 30m, ticket at
3x over 1d and 2h or 1x over 3d and 6h (the factors are literals in
prometheus/rules/taskmgr.yml). Each window has its own recording rules, named after its
production length (`..:ratio_rate1h`); a profile's `slo_time_scale` divides every window,
the SLO window too, so the fast profile's "1h" lasts a minute.
"""

from decimal import Decimal

from stack import durations

BURN_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
SHORTEST, LONGEST = BURN_WINDOWS[0], BURN_WINDOWS[-1]
# Prometheus keeps this much more than the SLO window: the records over the whole window
# (a subquery of the 5m records) find every sample they read.
RETENTION_MARGIN = "1d"


def scaled(window: str, profile) -> str:
    """`window` as `profile` runs it: 1h → 1m in the fast profile."""
    return durations.text(durations.seconds(window) / profile.slo_time_scale)


def placeholder(window: str) -> str:
    """The template's name for a burn window: 1h → SLO_1H."""
    return f"SLO_{window.upper()}"


def retention(slo_window: str, profile) -> str:
    return scaled(
        durations.text(sum(map(durations.seconds, (slo_window, RETENTION_MARGIN)))), profile
    )


def budget(target: float) -> str:
    """The error budget as a fraction, exactly: 99.9 → "0.001" (no float residue)."""
    fraction = (Decimal(100) - Decimal(repr(float(target)))) / 100
    return format(fraction.normalize(), "f")
