"""/metrics: the Prometheus exposition, one consistent view over all gunicorn workers.

In multiprocess mode every scrape builds a fresh registry over the shared folder (as
prometheus_client documents); otherwise (runserver, tests) the process's default registry.
Either way taskmgr_active_users is computed from Redis at scrape time.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from metrics.active_users import ActiveUsersCollector
from metrics.multiproc import fold_dead_workers, folder_lock


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
    MultiProcessCollector(registry, path=path)
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
