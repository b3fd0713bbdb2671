"""Ours beside a reference, measured in the same run: the figure every comparison row shows.

A goal on a ratio counts as met when the median of the per-round ratios meets the bound
*and* the A/A pair (two identical copies of one variant, measured in the same rounds) moves
less than the margin by which the goal is met: otherwise the machine's noise could be the
whole of the win.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from bench.report import Result, spread, verdict

_MET = {"≤": lambda value, bound: value <= bound, "≥": lambda value, bound: value >= bound}


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Per-round ratios: round r's numerator over round r's denominator."""
    if len(numerators) != len(denominators):
        raise ValueError("one value per round on both sides")
    return [n / d for n, d in zip(numerators, denominators, strict=True)]


def compared(
    benchmark: str,
    ours: Sequence[float],
    reference: Sequence[float],
    *,
    sign: str,
    bound: float,
    unit: str,
    fmt: str = "{:.2f}",
    aa: Sequence[float] | None = None,
    note: str = "",
) -> Result:
    """A row with ours, the reference and the per-round ratio ours / reference, judged
    against `sign bound`. `aa` are the per-round ratios of an A/A pair (same variant twice);
    when given, the goal also needs |median(aa) - 1| smaller than the margin."""
    per_round = ratios(ours, reference)
    median = statistics.median(per_round)
    ok = _MET[sign](median, bound)
    figure = (
        f"ratio {spread(per_round)} over {len(per_round)} rounds; ours {spread(ours, fmt)} {unit},"
        f" reference {spread(reference, fmt)} {unit}"
    )
    if aa is not None:
        drift = abs(statistics.median(aa) - 1)
        margin = abs(median - bound)
        ok = ok and drift < margin
        figure += f"; A/A {spread(aa)} (drift {drift:.2f} vs margin {margin:.2f})"
    if note:
        figure += f"; {note}"
    return Result(benchmark, figure, f"{sign} {bound:g}", verdict(ok))
