"""Readiness probes for /status: one function per dependency, each with a short timeout.

A probe returns nothing when the dependency is usable (or a note when it is usable but
part of it is lost) and raises with a readable message when it is not. To check another
dependency, add one entry to PROBES.
"""

from collections.abc import Callable

import requests
from django.conf import settings
from django.db import connection

from alerts.selectors import alert_store_check
from alertstore.connection import connect
from taskmgr.redis_client import redis_target

TIMEOUT_SECONDS = 1.0


class ProbeFailed(Exception):
    pass


def probe_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def probe_redis() -> None:
    # a client of its own: a fresh connect asks Sentinel (when set) where the primary is
    client = connect(redis_target(), timeout=TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.connection_pool.disconnect()  # a Sentinel client's pool outlives close()


def probe_prometheus() -> str | None:
    """Usable while one of PROMETHEUS_URLS is ready, as the summary fails over to it; a
    replica of the pair that is not ready is named in the note, so on-call sees the pair
    running on one leg before the second goes."""
    urls = settings.PROMETHEUS_URLS
    failures = []
    for url in urls:
        try:
            response = requests.get(f"{url}/-/ready", timeout=TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            failures.append(f"{url}: {type(exc).__name__}: {exc}")
            continue
        if response.status_code != 200:
            failures.append(f"{url}/-/ready answered {response.status_code}")
    if len(failures) == len(urls):
        raise ProbeFailed("; ".join(failures))
    if failures:
        return f"{len(urls) - len(failures)} of {len(urls)} ready; not ready: " + "; ".join(
            failures
        )
    return None


PROBES: dict[str, Callable[[], str | None]] = {
    "database": probe_database,
    "redis": probe_redis,
    "prometheus": probe_prometheus,
    "alert_history": alert_store_check,
}
