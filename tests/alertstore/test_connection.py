"""alertstore.connection: one client factory for REDIS_URL or Sentinel; real sentinels."""

import pytest
import redis

from alertstore import connection
from testkit import sentinel
from testkit.polling import wait_until


@pytest.mark.parametrize(
    ("sentinels", "master", "message"),
    [
        ("s1", "m", "REDIS_SENTINELS: bad entry 's1'"),
        ("s1:0", "m", "REDIS_SENTINELS: bad entry 's1:0'"),
        ("s1:26379", "a b", "REDIS_SENTINEL_MASTER: 'a b' is not a Sentinel master name"),
    ],
)
def test_bad_settings_are_named(sentinels, master, message):
    with pytest.raises(ValueError, match=message):
        connection.RedisTarget.from_text("redis://x/0", sentinels, master)


def test_no_sentinels_means_the_url_alone():
    target = connection.RedisTarget.from_text("redis://x:1/2", " ", "ignored")
    assert target == connection.RedisTarget("redis://x:1/2")


@pytest.fixture(scope="module")
def group():
    started = sentinel.SentinelGroup().start()
    yield started
    started.cleanup()


def test_clients_and_the_cache_pool_follow_a_failover(group):
    target = connection.RedisTarget.from_text(
        "redis://127.0.0.1:1/3", group.sentinels_text, sentinel.MASTER
    )
    client = connection.connect(target, timeout=1, decode_responses=True)
    cache = redis.Redis(
        connection_pool=connection.SentinelCachePool.from_url(
            target.url, sentinels=target.sentinels, master=target.master, socket_timeout=1
        )
    )
    client.set("before", "1")
    assert cache.get("before") == b"1"  # database 3 of the primary, whatever the URL's host
    assert group.servers[group.first_primary].client(db=3).get("before") == b"1"

    old = group.kill_primary()
    wait_until(lambda: group.primary_port() not in (None, old), "a promotion", timeout=60)

    def written() -> bool:
        try:
            return client.set("after", "2") and cache.get("after") == b"2"
        except redis.RedisError:
            return False  # the old connections fail once, then Sentinel names the new one

    wait_until(written, "writes to reach the promoted replica", timeout=60)
    assert group.servers[group.primary_port()].client(db=3).get("before") == b"1"
