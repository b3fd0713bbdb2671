"""/health (liveness: touches nothing) and /status (readiness: every probe in PROBES)."""

import logging

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from health.probes import PROBES

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
        probe()
    except Exception as exc:  # any failure of a dependency is reported, never raised
        logger.warning("readiness probe %s failed: %s", probe.__name__, exc)
        return {"status": "error", "message": f"{type(exc).__name__}: {exc}"}
    return {"status": "ok"}


class StatusApi(_OpenProbeView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT})
    def get(self, request):
        checks = {name: _run(probe) for name, probe in PROBES.items()}
        ready = all(check["status"] == "ok" for check in checks.values())
        return Response(
            {"status": "ok" if ready else "error", "service": SERVICE_NAME, "checks": checks},
            status=200 if ready else 503,
        )
