"""Query parameters of alerts/ and alerts/stats/: each bad value is a 400 naming its parameter."""

from rest_framework import serializers

from alertstore.reader import SEARCH_WINDOW
from alertstore.records import DELIVERY_STATES, SEVERITIES, STATUSES

SINCE_AFTER_UNTIL = "since must not be later than until."
MAX_QUERY_LENGTH = 100


class CaseInsensitiveChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        return super().to_internal_value(str(data).upper())


class AlertWindowSerializer(serializers.Serializer):
    """since/until (ISO datetimes bounding starts_at); alerts/stats/ takes only these."""

    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since > until:
            raise serializers.ValidationError({"since": [SINCE_AFTER_UNTIL]})
        return attrs


class AlertFilterSerializer(AlertWindowSerializer):
    severity = CaseInsensitiveChoiceField(choices=SEVERITIES, required=False)
    alert_type = serializers.CharField(required=False, max_length=100)
    status = serializers.ChoiceField(choices=STATUSES, required=False)
    delivery = serializers.ChoiceField(
        choices=DELIVERY_STATES,
        required=False,
        help_text="how the record's Slack messages stand: failed if any failed, else pending "
        "if any is owed, else sent",
    )
    q = serializers.CharField(
        required=False,
        allow_blank=True,  # an empty search box searches nothing: the plain listing
        max_length=MAX_QUERY_LENGTH,
        help_text="case-insensitive substring of message, alertname or a label value (blank: "
        "no search); "
        f"scans one window: since defaults to until - {SEARCH_WINDOW.total_seconds() / 3600:g} "
        "hours, until to now",
    )
