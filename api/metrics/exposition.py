"""/metrics: the Prometheus exposition, one consistent view over all gunicorn workers.

In multiprocess mode every scrape builds a fresh registry over the shared folder (as
prometheus_client documents); otherwise (runserver, tests) the process's default registry.
Either way taskmgr_active_users is computed from Redis at scrape time.
"""

from __future__ import annotations

import glob
import hmac
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from metrics.active_users import ActiveUsersCollector
from metrics.multiproc import fold_dead_workers, folder_lock


class _SizedFilesCollector(MultiProcessCollector):
    """MultiProcessCollector minus files a starting worker has created but not yet sized:
    prometheus_client opens a new file and only then extends it, and reading it in between
    fails the whole scrape (seen as a rare 500 while workers recycle under load)."""

    def collect(self):
        files = glob.glob(os.path.join(self._path, "*.db"))
        return self.merge([f for f in files if _size(f) > 0], accumulate=True)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:  # folded away meanwhile
        return 0


def _authorized(request: HttpRequest) -> bool:
    token = settings.METRICS_AUTH_TOKEN
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def render_metrics() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ActiveUsersCollector())
    path = settings.PROMETHEUS_MULTIPROC_DIR
    if not path:
        # Two expositions back to back are one valid text exposition.
        return generate_latest(REGISTRY) + generate_latest(registry)
    fold_dead_workers(path)
    _SizedFilesCollector(registry, path=path)
    with folder_lock(path, exclusive=False):
        return generate_latest(registry)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _authorized(request):
        response = JsonResponse(
            {"detail": "Authentication credentials were not provided or are invalid."},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)
