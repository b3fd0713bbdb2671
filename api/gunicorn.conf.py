"""gunicorn settings for the API: `cd api && gunicorn -c gunicorn.conf.py taskmgr.wsgi`.

Values come from taskmgr/settings.py (the one reader of the environment), so a bad or
insecure configuration stops the master before any worker starts.

Metrics run in prometheus_client's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set
(client_python docs, "Multiprocess Mode (e.g. Gunicorn)"): the directory is wiped before the
workers start, and each dead worker is marked so its live gauges stop counting.
"""

import os
import shutil
from pathlib import Path

from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taskmgr.settings")

bind = settings.GUNICORN_BIND
# procmetrics sits at the repo root, which loading the settings (just above) puts on sys.path
import procmetrics  # noqa: E402

workers = settings.GUNICORN_WORKERS
timeout = settings.GUNICORN_TIMEOUT
worker_class = "sync"
# the longest request line gunicorn accepts (default 4094): long filter queries still reach
# the API, which answers them in JSON; beyond this gunicorn answers 414 (documented)
limit_request_line = 8190
max_requests = settings.GUNICORN_MAX_REQUESTS
accesslog = "-" if settings.GUNICORN_ACCESS_LOG else None
# gunicorn >= 25 opens one control socket per user ($HOME/.gunicorn/gunicorn.ctl by default),
# which the bridge's gunicorn and parallel test servers would fight over. We don't use it.
control_socket_disable = True


def on_starting(server):
    # Jitter a tenth of the effective max_requests (a --max-requests flag wins over the
    # setting), so the workers do not all recycle at once.
    server.cfg.set("max_requests_jitter", server.cfg.max_requests // 10)
    directory = settings.PROMETHEUS_MULTIPROC_DIR
    if not directory:
        return
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise SystemExit(f"PROMETHEUS_MULTIPROC_DIR={directory} exists and is not a directory.")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def child_exit(server, worker):
    if settings.PROMETHEUS_MULTIPROC_DIR:
        # folds the dead worker's counter/histogram files into an archive, so the folder
        # stays bounded as workers recycle (mark_process_dead only removes live gauges)
        procmetrics.worker_exited(worker.pid, settings.PROMETHEUS_MULTIPROC_DIR)
