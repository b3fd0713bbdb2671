"""The API under gunicorn with REDIS_SENTINELS: /status follows the primary through a
failover (its redis check fails while there is none, and is ok once Sentinel promoted the
replica). No Prometheus runs here, so /status itself stays 503: the checks say why."""

import requests

from testkit import sentinel
from testkit.polling import wait_until

DEADLINE = 90


def _redis_check(url: str) -> str | None:
    try:
        return requests.get(f"{url}/status", timeout=5).json()["checks"]["redis"]["status"]
    except (requests.RequestException, ValueError):
        return None


def test_status_goes_degraded_while_the_primary_is_away_and_ready_after(gunicorn_api):
    group = sentinel.SentinelGroup().start()
    try:
        url = gunicorn_api(
            REDIS_URL=f"redis://127.0.0.1:{group.first_primary}/0",
            REDIS_SENTINELS=group.sentinels_text,
            REDIS_SENTINEL_MASTER=sentinel.MASTER,
        )
        assert _redis_check(url) == "ok"

        old = group.kill_primary()
        wait_until(
            lambda: _redis_check(url) == "error", "/status to say Redis is away", timeout=DEADLINE
        )
        wait_until(lambda: group.primary_port() not in (None, old), "a promotion", timeout=DEADLINE)
        wait_until(lambda: _redis_check(url) == "ok", "/status ready again", timeout=DEADLINE)
    finally:
        group.cleanup()
