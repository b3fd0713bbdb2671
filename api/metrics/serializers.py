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


class ErrorBudgetSerializer(serializers.Serializer):
    target = serializers.FloatField(help_text="percent of requests that must be good")
    window = serializers.CharField(help_text="the SLO window, a Prometheus duration (30d)")
    remaining_percent = serializers.FloatField(
        allow_null=True,
        help_text="error budget left over the window; below 0 once overspent; "
        "null while Prometheus has too little data (see note)",
    )
    note = serializers.CharField(allow_null=True, help_text="why remaining_percent is null")


class ErrorBudgetsSerializer(serializers.Serializer):
    availability = ErrorBudgetSerializer(help_text="requests not answered 5xx")
    latency = ErrorBudgetSerializer(help_text="requests faster than LATENCY_P95_THRESHOLD")


class SummarySerializer(serializers.Serializer):
    total_requests = serializers.IntegerField()
    total_errors = serializers.IntegerField(help_text="5xx responses")
    client_errors = serializers.IntegerField(help_text="4xx responses")
    error_rate_percent = serializers.FloatField(help_text="5xx share of all responses")
    active_users = serializers.IntegerField()
    latency = LatencySerializer()
    time_window = serializers.CharField()
    error_budget = ErrorBudgetsSerializer()


class UnavailableSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="how each Prometheus asked failed, in order")
    prometheus_urls = serializers.ListField(child=serializers.CharField())
