"""/metrics: the Prometheus exposition, one consistent view over all gunicorn workers.

procmetrics (shared with the alert bridge) builds it: in multiprocess mode the merge of the
shared folder's files (each file's keys decoded once), otherwise (runserver, tests) the
process's default registry. Either way taskmgr_active_users comes from Redis, read in the
background (metrics/active_users.py): a scrape waits for Redis only as a process's first.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client.exposition import CONTENT_TYPE_LATEST

import procmetrics
from metrics.active_users import COLLECTOR as ACTIVE_USERS


def _authorized(request: HttpRequest) -> bool:
    token = settings.METRICS_AUTH_TOKEN
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def render_metrics() -> bytes:
    return procmetrics.exposition(settings.PROMETHEUS_MULTIPROC_DIR, ACTIVE_USERS)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _authorized(request):
        response = JsonResponse(
            {"detail": "Authentication credentials were not provided or are invalid."},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)
