"""The alert-history record as the API documents it (OpenAPI); records come from alertstore."""

from rest_framework import serializers

from alertstore.records import (
    DELIVERY_STATES,
    LEDGER_OUTCOMES,
    MAX_CULPRITS,
    MAX_LEDGER,
    NOTIFICATION_KINDS,
    NOTIFICATION_STATES,
    RESOLUTIONS,
    SEVERITIES,
    STATUSES,
)


class LedgerEntrySerializer(serializers.Serializer):
    at = serializers.CharField(help_text="when Slack answered (or the attempt failed), ISO")
    http_status = serializers.IntegerField(
        allow_null=True, help_text="Slack's status; null when it never answered"
    )
    retry_after_seconds = serializers.FloatField(
        allow_null=True,
        help_text="the Retry-After wait obeyed (after DELIVERY_MAX_RETRY_AFTER_SECONDS); "
        "null when Slack sent none",
    )
    outcome = serializers.ChoiceField(choices=LEDGER_OUTCOMES)
    error = serializers.CharField(allow_null=True)


class NotificationSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NOTIFICATION_KINDS)
    state = serializers.ChoiceField(choices=NOTIFICATION_STATES)
    attempts = serializers.IntegerField()
    last_http_status = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(allow_null=True)
    enqueued_at = serializers.CharField(allow_null=True)
    sent_at = serializers.CharField(allow_null=True)
    ledger = LedgerEntrySerializer(
        many=True,
        help_text=f"every Slack attempt, oldest first; the newest {MAX_LEDGER} are kept "
        "(attempts counts all)",
    )


class CulpritSerializer(serializers.Serializer):
    route = serializers.CharField(help_text="route template, e.g. api/v1/tasks/<uuid:pk>/")
    value = serializers.FloatField(help_text="the alert's series on that route, in its unit")


class AlertRecordSerializer(serializers.Serializer):
    id = serializers.CharField()
    alert_type = serializers.CharField()
    alertname = serializers.CharField()
    severity = serializers.ChoiceField(choices=SEVERITIES)
    status = serializers.ChoiceField(choices=STATUSES)
    message = serializers.CharField()
    metric_value = serializers.FloatField(allow_null=True)
    threshold_value = serializers.FloatField(allow_null=True)
    labels = serializers.DictField(child=serializers.CharField())
    annotations = serializers.DictField(child=serializers.CharField())
    starts_at = serializers.CharField()
    ends_at = serializers.CharField(allow_null=True)
    created_at = serializers.CharField()
    updated_at = serializers.CharField()
    sent_to_slack = serializers.BooleanField()
    fingerprint = serializers.CharField()
    generator_url = serializers.CharField(allow_blank=True)
    notifications = NotificationSerializer(many=True)
    reminders = serializers.IntegerField()
    suppressed_by = serializers.CharField(allow_null=True)
    flaps = serializers.IntegerField()
    resolution = serializers.ChoiceField(choices=RESOLUTIONS, allow_null=True)
    culprits = CulpritSerializer(
        many=True, help_text=f"worst routes when it fired, at most {MAX_CULPRITS}"
    )
    culprits_note = serializers.CharField(
        allow_null=True, help_text="why culprits is empty (null: none were asked for)"
    )
    resolved_value = serializers.FloatField(
        allow_null=True, help_text="the alert's series at the resolve (Prometheus)"
    )
    peak_value = serializers.FloatField(
        allow_null=True, help_text="its maximum from starts_at to the resolve"
    )
    resolved_note = serializers.CharField(
        allow_null=True, help_text="why resolved_value or peak_value is missing"
    )
    duration_seconds = serializers.FloatField(allow_null=True, help_text="starts_at to ends_at")
    acknowledged_by = serializers.CharField(allow_null=True)
    acknowledged_at = serializers.CharField(allow_null=True)
    ack_comment = serializers.CharField(allow_null=True)
    silence_ids = serializers.ListField(child=serializers.CharField())
    time_to_page_seconds = serializers.FloatField(
        allow_null=True,
        help_text="starts_at to Slack's 2xx for the firing message; null until it was sent",
    )
    delivery = serializers.ChoiceField(
        choices=DELIVERY_STATES,
        allow_null=True,
        help_text="failed if any message failed, else pending if any is owed, else sent; "
        "null when none is owed",
    )


class AlertPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AlertRecordSerializer(many=True)
