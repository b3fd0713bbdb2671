import pytest

from bench.compare import compared, ratios


def test_the_ratio_is_taken_round_by_round_and_judged_at_its_median():
    row = compared("x", [1.0, 2.0, 3.0], [2.0, 2.0, 2.0], sign="≤", bound=1.0, unit="ms")
    assert row.verdict == "pass"  # ratios 0.5, 1.0, 1.5: median 1.0 meets ≤ 1
    assert row.figure.startswith("ratio 1.00 (0.50..1.50) over 3 rounds")
    assert row.target == "≤ 1"


def test_an_aa_pair_that_drifts_more_than_the_margin_fails_the_goal():
    ours, reference = [0.55, 0.55, 0.55], [1.0, 1.0, 1.0]  # 0.55 ≤ 0.6: margin 0.05
    steady = compared("x", ours, reference, sign="≤", bound=0.6, unit="ms", aa=[1.0, 1.02, 0.99])
    noisy = compared("x", ours, reference, sign="≤", bound=0.6, unit="ms", aa=[1.1, 1.2, 1.08])
    assert steady.verdict == "pass"
    assert noisy.verdict == "FAIL"
    assert "drift 0.10 vs margin 0.05" in noisy.figure


def test_rounds_must_pair_up():
    with pytest.raises(ValueError, match="one value per round"):
        ratios([1.0, 2.0], [1.0])
