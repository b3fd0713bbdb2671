"""alerts/, alerts/stats/ and alerts/{id}/: the alert history for staff; 503 when Redis is
away."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts.filters import AlertFilterSerializer, AlertWindowSerializer
from alerts.selectors import alert_get, alert_list, alert_stats
from alerts.serializers import AlertPageSerializer, AlertRecordSerializer
from alerts.stats import AlertStatsSerializer
from taskmgr.pagination import PageNumberPagination
from taskmgr.schema import ErrorSerializer


class AlertListApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        operation_id="alerts_list",
        parameters=[AlertFilterSerializer],
        responses={200: AlertPageSerializer, 404: ErrorSerializer, 503: ErrorSerializer},
    )
    def get(self, request):
        filters = AlertFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = PageNumberPagination()
        records = paginator.paginate_counted(
            request,
            lambda offset, limit: alert_list(offset=offset, limit=limit, **filters.validated_data),
        )
        return paginator.get_paginated_response(records)


class AlertStatsApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        operation_id="alerts_stats",
        parameters=[AlertWindowSerializer],
        responses={200: AlertStatsSerializer, 503: ErrorSerializer},
    )
    def get(self, request):
        window = AlertWindowSerializer(data=request.query_params)
        window.is_valid(raise_exception=True)
        return Response(alert_stats(**window.validated_data))


class AlertDetailApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        operation_id="alerts_retrieve",
        responses={200: AlertRecordSerializer, 503: ErrorSerializer},
    )
    def get(self, request, alert_id: str):
        record = alert_get(alert_id=alert_id)
        if record is None:
            raise NotFound()
        return Response(record)
