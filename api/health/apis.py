"""/health (liveness: touches nothing) and /status (readiness: every probe in PROBES, and
the alert pipeline's health beside them). /status answers `alertstore.pipeline`'s
readiness body, the same as the bridge's /ready: 503 only for the API's own dependencies;
a degraded pipeline (no heartbeat, Slack refusing) keeps the 200 and names the broken hop.
"""

import logging
from datetime import UTC, datetime

import redis
from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from alertstore import pipeline
from health.probes import PROBES
from taskmgr.redis_client import redis_client

logger = logging.getLogger(__name__)

SERVICE_NAME = "taskmgr-api"


class _OpenProbeView(APIView):
    """No auth and no throttling: orchestrators and Prometheus poll these often."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []


class HealthApi(_OpenProbeView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response({"status": "healthy", "service": SERVICE_NAME})


def _run(probe) -> dict:
    try:
        note = probe()
    except Exception as exc:  # any failure of a dependency is reported, never raised
        logger.warning("readiness probe %s failed: %s", probe.__name__, exc)
        return {"status": "error", "message": f"{type(exc).__name__}: {exc}"}
    return {"status": "ok"} if note is None else {"status": "ok", "message": note}


class StatusApi(_OpenProbeView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT})
    def get(self, request):
        checks = {name: _run(probe) for name, probe in PROBES.items()}
        body, status = pipeline.readiness(SERVICE_NAME, checks, _pipeline(checks))
        return Response(body, status=status)


def _pipeline(checks: dict) -> dict:
    if checks["redis"]["status"] != "ok":  # one Redis timeout per probe is enough
        return pipeline.unreadable(redis.ConnectionError())
    return pipeline.report(
        redis_client(),
        now=datetime.now(UTC),
        timeout_seconds=settings.HEARTBEAT_TIMEOUT_SECONDS,
        prometheus_url=settings.PROMETHEUS_URL,
    )
