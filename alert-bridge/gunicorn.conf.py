"""gunicorn settings for the bridge.

    cd alert-bridge && gunicorn -c gunicorn.conf.py "bridge:create_app()"

The configuration is read and validated here, in the master, by BridgeConfig (the one
reader of the bridge's environment), so a bad one stops the bridge before any worker
starts. Metrics use prometheus_client's multiprocess mode: the folder (the env file's
PROMETHEUS_MULTIPROC_DIR, required here) is wiped before the workers start, and each dead
worker is marked so its live gauges stop counting.
"""

import logging
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# `bridge` lives here, `alertstore` and `stack` at the repo root; forked workers inherit it.
sys.path[:0] = [str(HERE), str(HERE.parent)]

import procmetrics  # noqa: E402
from bridge.config import BridgeConfig, ConfigError  # noqa: E402

try:
    BRIDGE = BridgeConfig.from_env()  # not `config`: gunicorn reads that name as a setting
except ConfigError as exc:
    raise SystemExit(f"alert bridge: {exc}") from None
if BRIDGE.multiproc_dir is None:
    # prometheus_client picks multiprocess mode from it at import, in every worker
    raise SystemExit(
        "alert bridge: PROMETHEUS_MULTIPROC_DIR is required under gunicorn "
        "(bridge.env sets it): its workers share their metrics through that folder"
    )

# gunicorn configures only its own loggers: without this the bridge's INFO lines (a webhook's
# outcome, who acknowledged what) reach no handler. The delivery worker logs the same way.
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

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
