"""A delivery worker paused (SIGSTOP) past its lease while a second one takes over, then
resumed (SIGCONT): each message reaches Slack exactly once and nothing stays in
`outbox:processing` (issue 11, defect 9).

Where the pause lands is pinned with Redis' CLIENT PAUSE: the paused worker has just asked
to renew its lease, and the renewal is granted while it is stopped, so it wakes up
believing it holds a lease that lapsed long ago: the pause after a renewal that a long GC
pause or an overloaded host gives.
"""

import signal
import time

import pytest

from alertstore import layout
from tests.reliability.alerts import (
    alert,
    assert_once_each_in_order,
    eventually,
    now,
    resolved,
    send,
)
from tests.reliability.topology import add_worker
from tests.scenarios.truth import assert_pages_true, firing_in_prometheus

pytestmark = pytest.mark.e2e

PAUSE_WRITES_MS = 3000  # Redis holds every write (and script) this long ...
STOP_AFTER = 1.5  # ... and the worker is stopped while its renewal waits in there


def test_a_worker_paused_past_its_lease_sends_each_message_once(pipeline, fake_slack):
    stack = pipeline()  # DELIVERY_LEASE_SECONDS=5
    add_worker(stack, "outbox2")  # waits for the lease
    paused = stack.processes["outbox"]
    redis = stack.redis()
    holder = eventually(stack, lambda: redis.get(layout.OUTBOX_LEASE_KEY), "a lease holder")
    try:
        redis.execute_command("CLIENT", "PAUSE", PAUSE_WRITES_MS, "WRITE")
        time.sleep(STOP_AFTER)  # placement of the pause, not an assertion
        paused.signal(signal.SIGSTOP)
        eventually(
            stack,
            lambda: redis.get(layout.OUTBOX_LEASE_KEY) not in (None, holder),
            "the second worker to take the lapsed lease",
        )
        fake_slack.script([("slow", 1)] * 5)  # entries still queued when the first wakes
        firing = [alert(f"Paused{i}", now()) for i in range(5)]
        send([stack.alertmanager_url], firing)
        eventually(stack, lambda: redis.llen(layout.OUTBOX_PENDING_KEY) >= 3, "queued entries")
    finally:
        paused.signal(signal.SIGCONT)

    eventually(stack, lambda: len(fake_slack.received) >= 5, "every FIRING message")
    send([stack.alertmanager_url], [resolved(a) for a in firing])
    assert_pages_true(stack, lambda: firing_in_prometheus(stack), "every Paused alert resolved")
    expected = [(kind, f"Paused{i}", "api-1") for i in range(5) for kind in ("FIRING", "RESOLVED")]
    ours = [m for m in fake_slack.received if "Paused" in m["text"]]
    assert_once_each_in_order(ours, expected)
