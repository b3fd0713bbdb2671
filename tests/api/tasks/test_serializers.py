"""The task list's fast path renders exactly what TaskOutputSerializer (the contract) does."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from tasks.models import Task
from tasks.serializers import TASK_ROW_COLUMNS, TaskOutputSerializer, task_rows_output

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied_tasks(user, make_task):
    """Empty and non-ASCII text, every status and priority, due dates with and without
    microseconds, and none."""
    make_task(user, title="Plain", due_date=None)
    make_task(
        user,
        title='Ünïcode ✓ "quoted"',
        description="line one\nline two",
        status="IN_PROGRESS",
        priority="HIGH",
        due_date=datetime(2025, 10, 15, tzinfo=UTC),
    )
    make_task(
        user,
        title="Done",
        status="DONE",
        priority="LOW",
        due_date=datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    )
    return Task.objects.filter(owner=user).order_by("-created_at", "-id")


def both(tasks) -> tuple[list[dict], list[dict]]:
    contract = [dict(TaskOutputSerializer(task).data) for task in tasks]
    fast = task_rows_output(tasks.values_list(*TASK_ROW_COLUMNS))
    return contract, fast


def test_rows_render_like_the_output_serializer(varied_tasks):
    contract, fast = both(varied_tasks)

    assert fast == contract
    assert [list(item) for item in fast] == [list(item) for item in contract]  # field order


def test_rows_follow_the_current_time_zone_like_the_serializer(varied_tasks):
    with timezone.override("America/New_York"):
        contract, fast = both(varied_tasks)

    assert fast == contract
    assert contract[0]["created_at"].endswith(("-05:00", "-04:00"))  # not UTC, so tested


def test_list_endpoint_body_matches_the_serializer(auth_client, varied_tasks):
    body = auth_client.get("/api/v1/tasks/").json()

    assert body["results"] == [dict(TaskOutputSerializer(task).data) for task in varied_tasks]


def test_list_without_filter_parameters_equals_the_filtered_path(auth_client, varied_tasks):
    # no filter parameter skips TaskFilter; empty ones go through it and change nothing
    plain = auth_client.get("/api/v1/tasks/").json()
    empty_filters = auth_client.get("/api/v1/tasks/?status=&search=&ordering=").json()

    assert plain == empty_filters
    assert plain["count"] == 3
