"""/metrics under real gunicorn: one consistent sum over workers, dead workers folded."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import requests

from metrics.active_users import FLUSH_SECONDS
from testkit.polling import wait_until
from tests.procmetrics.conftest import pids_with_files

# Counted requests go to a route the readiness check never polls: under load a poll that
# timed out on the client is still served later, and would land in the count.
COUNTED = "/api/v1/docs/"
DOCS = {"method": "GET", "route": "api/v1/docs/", "status": "200"}
DOCS_TOTAL = ("taskmgr_http_requests_total", tuple(sorted(DOCS.items())))


def key(name: str, **labels: str) -> tuple:
    return (name, tuple(sorted(labels.items())))


def hit(url: str, n: int, headers=None) -> None:
    """n requests from 8 threads with fresh connections, so every worker gets some."""

    def one(_):
        assert requests.get(url, headers=headers, timeout=10).status_code == 200

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(n)))


def test_four_workers_report_one_sum(api_server):
    api = api_server(workers=4)
    before = api.metrics()

    hit(f"{api.url}{COUNTED}", 200)
    scraped = api.metrics()

    for name in ("taskmgr_http_requests_total", "taskmgr_http_request_duration_seconds_count"):
        assert scraped[key(name, **DOCS)] - before.get(key(name, **DOCS), 0) == 200
    assert len(pids_with_files(api.multiproc_dir) & api.worker_pids()) >= 2, "load not spread"
    # Every sample is labelled by template: no pid, no id.
    assert not any("pid" in dict(labels) for _, labels in scraped)


def test_every_status_class_is_exported_from_the_start(api_server):
    # A 5xx series born with the first error would be one scrape late for rate(), and so
    # for HighErrorRate: the class counter exports all five classes before any is used.
    api = api_server(workers=2)
    hit(f"{api.url}{COUNTED}", 20)

    scraped = api.metrics()

    by_class = {
        dict(labels)["class"]: value
        for (name, labels), value in scraped.items()
        if name == "taskmgr_http_responses_total"
    }
    assert sorted(by_class) == ["1xx", "2xx", "3xx", "4xx", "5xx"], scraped
    assert by_class["5xx"] == 0
    # the same responses as the labelled counter, however the workers split them
    labelled = sum(v for (name, _), v in scraped.items() if name == "taskmgr_http_requests_total")
    assert sum(by_class.values()) == labelled >= 20


def test_a_killed_worker_keeps_its_counts_and_leaves_no_files(api_server):
    api = api_server(workers=2)
    before = api.metrics().get(DOCS_TOTAL, 0)
    hit(f"{api.url}{COUNTED}", 60)
    victim = max(pids_with_files(api.multiproc_dir) & api.worker_pids())

    os.kill(victim, signal.SIGKILL)
    wait_until(
        lambda: victim not in api.worker_pids() and len(api.worker_pids()) == 2,
        "the killed worker replaced",
    )
    hit(f"{api.url}{COUNTED}", 40)
    scraped = api.metrics()

    assert scraped[DOCS_TOTAL] - before == 100
    assert victim not in pids_with_files(api.multiproc_dir)
    assert (api.multiproc_dir / "counter_archive.db").exists()


def test_recycled_workers_do_not_grow_the_folder(api_server):
    api = api_server(workers=2, args=["--max-requests", "10"])
    before = api.metrics().get(DOCS_TOTAL, 0)

    for _ in range(3):
        hit(f"{api.url}{COUNTED}", 50)
        scraped = api.metrics()
    files = sorted(p.name for p in api.multiproc_dir.glob("*.db"))

    assert scraped[DOCS_TOTAL] - before == 150
    # ~15 workers lived and died; what's left: live workers (and the master), one archive
    # per type.
    alive = api.worker_pids() | {api.process.proc.pid}
    assert pids_with_files(api.multiproc_dir) <= alive, files
    assert len(files) <= 3 * len(alive) + 2, files
    assert (api.multiproc_dir / "counter_archive.db").exists()


def test_a_user_seen_by_every_worker_counts_once(api_server):
    api = api_server(workers=4)
    tokens = []
    for name in ("alice", "bob"):
        credentials = {"username": name, "email": f"{name}@x.example", "password": "Sturdy-pass-42"}
        registered = requests.post(f"{api.url}/api/v1/auth/register/", json=credentials, timeout=10)
        assert registered.status_code == 201, registered.text
        tokens.append(registered.json()["token"])

    hit(f"{api.url}/api/v1/tasks/", 40, headers={"Authorization": f"Token {tokens[0]}"})
    hit(f"{api.url}/api/v1/tasks/", 1, headers={"Authorization": f"Token {tokens[1]}"})

    def active_users():
        return api.metrics().get(key("taskmgr_active_users"))

    # The workers flush every FLUSH_SECONDS; give them several rounds.
    wait_until(lambda: active_users() == 2, "two active users", timeout=FLUSH_SECONDS * 10)
