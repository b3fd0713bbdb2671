"""metrics/active_users.py: distinct ids over the window, Redis failures never fail a scrape."""

import time

from django.test import override_settings

from metrics.active_users import (
    KEY,
    WINDOW_SECONDS,
    ActiveUsersCollector,
    ActiveUsersRecorder,
    count_active_users,
)
from metrics.exposition import render_metrics
from testkit.polling import wait_until
from testkit.ports import free_port


def collected(collector: ActiveUsersCollector) -> float | None:
    samples = [s.value for family in collector.collect() for s in family.samples]
    return samples[0] if samples else None


def test_count_drops_ids_older_than_the_window(active_users):
    now = time.time()
    active_users.zadd(KEY, {"1": now - WINDOW_SECONDS - 1, "2": now - WINDOW_SECONDS + 5, "3": now})

    assert count_active_users(now) == 2
    assert active_users.zrange(KEY, 0, -1) == [b"2", b"3"]


def test_the_scrape_reports_the_distinct_count(client, active_users):
    active_users.zadd(KEY, {"7": time.time(), "8": time.time()})

    # the collector serves its last read and re-reads in the background
    wait_until(
        lambda: "\ntaskmgr_active_users 2.0\n" in client.get("/metrics").content.decode(),
        "the scrape reports both users",
    )


def test_a_first_scrape_reads_the_count_and_later_ones_serve_it(active_users):
    collector = ActiveUsersCollector(refresh_seconds=3600)
    active_users.zadd(KEY, {"1": time.time()})
    assert collected(collector) == 1

    active_users.zadd(KEY, {"2": time.time()})

    assert collected(collector) == 1  # not stale yet: Redis is not read


def test_a_stale_count_is_served_while_it_is_read_again(active_users):
    collector = ActiveUsersCollector(refresh_seconds=0)
    assert collected(collector) == 0
    active_users.zadd(KEY, {"1": time.time()})

    wait_until(lambda: collected(collector) == 1, "the new count read in the background")


def test_redis_down_omits_the_sample_but_not_the_scrape(client, caplog):
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"):

        def scraped() -> str:
            response = client.get("/metrics")
            assert response.status_code == 200
            return response.content.decode()

        wait_until(lambda: "\ntaskmgr_active_users " not in scraped(), "the sample omitted")
        assert "taskmgr_http_requests_total" in scraped()
    assert "active users: omitted from the scrapes" in caplog.text


def test_a_failed_flush_keeps_the_ids_for_the_next_one(active_users):
    recorder = ActiveUsersRecorder(interval=3600)
    recorder.record(42)
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"):
        recorder.flush()
    assert active_users.zcard(KEY) == 0

    recorder.flush()

    assert active_users.zrange(KEY, 0, -1) == [b"42"]
    assert render_metrics()  # the collector still works after the failure
