"""Every dashboard panel shows data once the real stack has served real traffic.

Needs the `live_stack` fixture (tests/conftest.py): an object with `.prometheus_url` and
`.generate_traffic()`, backed by the whole stack on free ports.
"""

import time

import pytest

from tests.grafana.dashboard import query_counts, run_panel_queries

pytestmark = pytest.mark.e2e

# Recording rules need a few evaluations and rate() two samples: poll, generously.
DEADLINE_SECONDS = 180


def test_every_panel_query_returns_data_after_real_traffic(live_stack):
    live_stack.generate_traffic()

    deadline = time.monotonic() + DEADLINE_SECONDS
    while 0 in run_panel_queries(live_stack.prometheus_url).values():
        if time.monotonic() > deadline:
            empty = [q for q, n in query_counts(live_stack.prometheus_url).items() if n == 0]
            lines = "\n".join(f"{q.panel} [{q.ref_id}]: {q.expr}" for q in empty)
            pytest.fail(f"panel queries without data {DEADLINE_SECONDS}s after traffic:\n{lines}")
        time.sleep(2)
