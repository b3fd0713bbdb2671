"""The order variants are measured in: interleaved rounds, each starting one variant later.

Drift over a run (someone else's load on a shared machine, caches warming) then hits every
variant alike, and a ratio computed per round compares like with like.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def rotations(names: Sequence[T], rounds: int) -> Iterator[tuple[int, list[T]]]:
    """(r, order) for each round r; round r starts at the r-th name."""
    for r in range(rounds):
        k = r % len(names)
        yield r, [*names[k:], *names[:k]]
