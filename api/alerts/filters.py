"""Query parameters of alerts/: each bad value is a 400 naming its parameter."""

from rest_framework import serializers

from alertstore.records import DELIVERY_STATES, SEVERITIES, STATUSES

SINCE_AFTER_UNTIL = "since must not be later than until."


class CaseInsensitiveChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        return super().to_internal_value(str(data).upper())


class AlertFilterSerializer(serializers.Serializer):
    severity = CaseInsensitiveChoiceField(choices=SEVERITIES, required=False)
    alert_type = serializers.CharField(required=False, max_length=100)
    status = serializers.ChoiceField(choices=STATUSES, required=False)
    delivery = serializers.ChoiceField(
        choices=DELIVERY_STATES,
        required=False,
        help_text="how the record's Slack messages stand: failed if any failed, else pending "
        "if any is owed, else sent",
    )
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since > until:
            raise serializers.ValidationError({"since": [SINCE_AFTER_UNTIL]})
        return attrs
