"""api/gunicorn.conf.py under real gunicorn: multiprocess folder wiped at start, refused when
it is not a folder, dead workers marked (their live-gauge files removed)."""

import re
import sys
import time

import pytest
import requests

from testkit.ports import free_port
from testkit.processes import ServerError, ServerProcess
from tests.api.servers import API_DIR, api_env


def test_refuses_a_multiproc_path_that_is_not_a_directory(tmp_path):
    not_a_dir = tmp_path / "metrics.txt"
    not_a_dir.write_text("")
    env = api_env(
        tmp_path, PROMETHEUS_MULTIPROC_DIR=str(not_a_dir), API_BIND=f"127.0.0.1:{free_port()}"
    )
    server = ServerProcess(
        "gunicorn",
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "taskmgr.wsgi"],
        log_dir=tmp_path,
        env=env,
        cwd=API_DIR,
        ready=lambda: False,
        timeout=30,
    )

    try:
        with pytest.raises(ServerError) as failed:
            server.start()
    finally:
        server.stop()  # start() leaves its log open when the process exits early

    assert f"PROMETHEUS_MULTIPROC_DIR={not_a_dir} exists and is not a directory" in str(
        failed.value
    )


def test_multiproc_dir_is_wiped_at_start_and_dead_workers_are_marked(tmp_path, gunicorn_api):
    multiproc = tmp_path / "multiproc"
    multiproc.mkdir()
    stale = multiproc / "counter_99999.db"
    stale.write_bytes(b"left over from a previous run")

    base = gunicorn_api("--max-requests", "1", PROMETHEUS_MULTIPROC_DIR=str(multiproc))
    for _ in range(3):  # each request retires its worker
        assert requests.get(f"{base}/health", timeout=30).status_code == 200

    assert not stale.exists()
    # the master marks a worker dead when it reaps it, shortly after the worker exits
    deadline = time.monotonic() + 30
    while True:
        live, retired = _live_gauge_pids(multiproc), _retired_pids(tmp_path)
        # replacement workers create their live gauge files as they boot
        if (live and not live & retired) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert live, "expected live gauge files of the running workers"
    assert retired, "expected retired workers"
    assert not live & retired, f"live gauge files of dead workers remain: {live & retired}"


def _live_gauge_pids(multiproc) -> set[int]:
    names = (path.name for path in multiproc.glob("gauge_live*_*.db"))
    return {int(re.search(r"_(\d+)\.db$", name).group(1)) for name in names}


def _retired_pids(tmp_path) -> set[int]:
    log = "".join(path.read_text() for path in tmp_path.glob("**/api-*.log"))
    return {int(pid) for pid in re.findall(r"Worker exiting \(pid: (\d+)\)", log)}
