"""gunicorn settings for the bridge.

    cd alert-bridge && gunicorn -c gunicorn.conf.py "bridge:create_app()"

The configuration is read and validated here, in the master, so a bad one stops the bridge
before any worker starts. Metrics use prometheus_client's multiprocess mode: the directory
(PROMETHEUS_MULTIPROC_DIR, or a private temporary one) is wiped before the workers start,
and each dead worker is marked so its live gauges stop counting.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

# Before prometheus_client is imported: it picks its multiprocess mode at import time.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="taskmgr-bridge-metrics-")

HERE = Path(__file__).resolve().parent
# `bridge` lives here and `alertstore` at the repo root; forked workers inherit the path.
sys.path[:0] = [str(HERE), str(HERE.parent)]

import procmetrics  # noqa: E402
from bridge.config import BridgeConfig, ConfigError  # noqa: E402

try:
    BRIDGE = BridgeConfig.from_env()  # not `config`: gunicorn reads that name as a setting
except ConfigError as exc:
    raise SystemExit(f"alert bridge: {exc}") from None

bind = f"{BRIDGE.host}:{BRIDGE.port}"
workers = 2
worker_class = "sync"
timeout = 30
# gunicorn 27 otherwise opens one shared control socket in ~/.gunicorn, which the API's
# gunicorn and parallel test servers would fight over
control_socket_disable = True


def on_starting(server):
    path = Path(BRIDGE.multiproc_dir)
    if path.exists() and not path.is_dir():
        raise SystemExit(f"PROMETHEUS_MULTIPROC_DIR={path} exists and is not a directory.")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def child_exit(server, worker):
    procmetrics.worker_exited(worker.pid, BRIDGE.multiproc_dir)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(BRIDGE.multiproc_dir, ignore_errors=True)
