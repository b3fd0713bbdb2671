"""bench/rounds.py: every round starts one variant later, so each variant leads in turn."""

from bench.rounds import rotations


def test_each_round_starts_one_variant_later_and_wraps_around():
    assert list(rotations(("ours", "off", "djp"), 4)) == [
        (0, ["ours", "off", "djp"]),
        (1, ["off", "djp", "ours"]),
        (2, ["djp", "ours", "off"]),
        (3, ["ours", "off", "djp"]),
    ]
