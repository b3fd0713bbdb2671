"""Readiness probes for /status: one function per dependency, each with a short timeout.

A probe returns nothing when the dependency is usable and raises with a readable message
when it is not. To check another dependency, add one entry to PROBES.
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


def probe_prometheus() -> None:
    response = requests.get(f"{settings.PROMETHEUS_URL}/-/ready", timeout=TIMEOUT_SECONDS)
    if response.status_code != 200:
        raise ProbeFailed(f"{settings.PROMETHEUS_URL}/-/ready answered {response.status_code}")


PROBES: dict[str, Callable[[], None]] = {
    "database": probe_database,
    "redis": probe_redis,
    "prometheus": probe_prometheus,
    "alert_history": alert_store_check,
}
