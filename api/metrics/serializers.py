"""The metrics summary's shape, for the OpenAPI schema (the figures come from Prometheus)."""

from rest_framework import serializers


class LatencySerializer(serializers.Serializer):
    """Milliseconds; null when there was no traffic. min/max are histogram bucket bounds."""

    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)
    avg = serializers.FloatField(allow_null=True)
    p50 = serializers.FloatField(allow_null=True)
    p95 = serializers.FloatField(allow_null=True)
    p99 = serializers.FloatField(allow_null=True)


class SummarySerializer(serializers.Serializer):
    total_requests = serializers.IntegerField()
    total_errors = serializers.IntegerField(help_text="5xx responses")
    client_errors = serializers.IntegerField(help_text="4xx responses")
    error_rate_percent = serializers.FloatField(help_text="5xx share of all responses")
    active_users = serializers.IntegerField()
    latency = LatencySerializer()
    time_window = serializers.CharField()


class UnavailableSerializer(serializers.Serializer):
    detail = serializers.CharField()
    prometheus_url = serializers.CharField()
