"""metrics/summary/: GET only, public; 503 with the reasons when no PROMETHEUS_URLS answers."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from metrics.serializers import SummarySerializer, UnavailableSerializer
from metrics.summary import PrometheusUnavailable, metrics_summary


class MetricsSummaryApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: SummarySerializer, 503: UnavailableSerializer})
    def get(self, request):
        try:
            return Response(metrics_summary())
        except PrometheusUnavailable as exc:
            return Response(
                {"detail": str(exc), "prometheus_urls": settings.PROMETHEUS_URLS},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
