"""Time to page of the threshold alert and the burn-rate alerts at 100, 10, 2 and 0.5 % of
5xx, measured by promtool on the production rules (tests/rules/time_to_page.py); the README
shows the same table. Minutes of promtool: the cases run two at a time."""

from tests.rules import time_to_page

PAGE, TICKET = "AvailabilityBudgetFastBurn", "AvailabilityBudgetSlowBurn"


def test_time_to_page_is_what_the_readme_says():
    measured = time_to_page.measure()

    everything, most, little, trickle = (measured[share] for share in time_to_page.SHARES)
    assert everything[PAGE] < everything["HighErrorRate"], everything
    assert little[PAGE] is not None and little["HighErrorRate"] is None, little
    assert trickle[PAGE] is None and trickle["HighErrorRate"] is None, trickle
    assert all(case[TICKET] is not None for case in measured.values()), measured
    assert most["HighErrorRate"] is not None, most
    assert time_to_page.table(measured) == time_to_page.readme_table(), (
        "the README's time-to-page table is stale: python -m tests.rules.time_to_page"
    )
