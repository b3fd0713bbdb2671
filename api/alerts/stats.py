"""The alerts/stats/ body as the API documents it (OpenAPI); computed by alertstore.stats."""

from rest_framework import serializers

from alertstore.records import SEVERITIES
from alertstore.stats import DEFAULT_WINDOW


class DistributionSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="values the figures are taken over")
    p50 = serializers.FloatField(allow_null=True, help_text="nearest-rank; null when count is 0")
    p95 = serializers.FloatField(allow_null=True, help_text="nearest-rank; null when count is 0")
    mean = serializers.FloatField(allow_null=True)


class IncidentFiguresSerializer(serializers.Serializer):
    incidents = serializers.IntegerField(help_text="alert records whose starts_at is in the window")
    firing_seconds = serializers.FloatField(
        help_text="sum of starts_at → ends_at (now while firing), cut at until"
    )
    mttr_seconds = DistributionSerializer(help_text="duration_seconds of the resolved ones")
    mtta_seconds = DistributionSerializer(help_text="acknowledged_at - starts_at")
    flaps = serializers.IntegerField()
    pages_sent = serializers.IntegerField(help_text="Slack notifications (any kind) sent")
    failed_deliveries = serializers.IntegerField(help_text="Slack notifications failed")
    time_to_page_seconds = DistributionSerializer(
        help_text="firing notification's Slack 2xx - starts_at"
    )


class IncidentGroupSerializer(IncidentFiguresSerializer):
    alert_type = serializers.CharField()
    severity = serializers.ChoiceField(choices=SEVERITIES)


class AlertStatsSerializer(serializers.Serializer):
    since = serializers.CharField(
        help_text=f"the window used (default: until - {DEFAULT_WINDOW.days} days)"
    )
    until = serializers.CharField(help_text="the window used (default: now)")
    retention_days = serializers.IntegerField(
        help_text="ALERT_HISTORY_RETENTION_DAYS: records resolved longer ago are trimmed"
    )
    covers_since = serializers.CharField(
        help_text="now - retention_days: every incident starting since then is counted; "
        "before it only those still kept (firing, resolved since, or a message still owed)"
    )
    complete = serializers.BooleanField(help_text="since ≥ covers_since: nothing trimmed")
    groups = IncidentGroupSerializer(many=True, help_text="per alert_type, then severity")
    totals = IncidentFiguresSerializer()
