"""Input and output shapes of a task. The output serializer is the REST contract."""

from django.utils import timezone
from rest_framework import serializers

from tasks.dates import DATE_OR_DATETIME_INVALID, parse_moment
from tasks.models import Priority, Status, Task


class DateOrDateTimeField(serializers.DateTimeField):
    """Accepts `2025-10-15` (midnight UTC) or an ISO 8601 datetime; renders a datetime."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            raise serializers.ValidationError(DATE_OR_DATETIME_INVALID)
        try:
            return parse_moment(value.strip()).at
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class TaskInputSerializer(serializers.Serializer):
    title = serializers.CharField(min_length=1, max_length=255)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    status = serializers.ChoiceField(choices=Status.choices, required=False, default=Status.TODO)
    priority = serializers.ChoiceField(
        choices=Priority.choices, required=False, default=Priority.MEDIUM
    )
    due_date = DateOrDateTimeField(
        allow_null=True,
        required=False,
        default=None,
        help_text="A date (2025-10-15, midnight UTC) or an ISO 8601 datetime.",
    )


class TaskOutputSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "status",
            "priority",
            "due_date",
            "owner",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# The list's fast path: TaskOutputSerializer's output built straight from database rows,
# without a model instance or a serializer field per value (the page's largest cost).
# TaskOutputSerializer stays the contract and the schema; a test holds the two equal.
TASK_ROW_COLUMNS = tuple(
    "owner__username" if name == "owner" else name for name in TaskOutputSerializer.Meta.fields
)


def _iso(moment, zone):
    """DRF's DateTimeField rendering: in the current time zone, UTC written as `Z`."""
    if not moment:
        return None
    text = moment.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def task_rows_output(rows) -> list[dict]:
    """Tasks as TaskOutputSerializer renders them, from `values_list(*TASK_ROW_COLUMNS)`."""
    zone = timezone.get_current_timezone()
    return [
        {
            "id": str(pk),
            "title": title,
            "description": description,
            "status": status,
            "priority": priority,
            "due_date": _iso(due, zone),
            "owner": owner,
            "created_at": _iso(created, zone),
            "updated_at": _iso(updated, zone),
        }
        for pk, title, description, status, priority, due, owner, created, updated in rows
    ]


class PreconditionFailedSerializer(serializers.Serializer):
    """412: the If-Match tag is not the task's any more; `etag` is its current one."""

    detail = serializers.CharField()
    etag = serializers.CharField()


class TaskStatsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_priority = serializers.DictField(child=serializers.IntegerField())
