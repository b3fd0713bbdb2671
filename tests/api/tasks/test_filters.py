"""TaskFilter: every query parameter of the task list, applied to real rows."""

from datetime import UTC, datetime

import pytest

from tasks.dates import DATE_INVALID, DATE_OR_DATETIME_INVALID
from tasks.filters import ORDERING_INVALID, TaskFilter
from tasks.models import Task

pytestmark = pytest.mark.django_db


def titles(params: dict) -> list[str]:
    filterset = TaskFilter(params, queryset=Task.objects.order_by("title"))
    assert filterset.is_valid(), filterset.errors
    return [task.title for task in filterset.qs]


def errors(params: dict) -> dict:
    filterset = TaskFilter(params, queryset=Task.objects.all())
    assert not filterset.is_valid()
    return filterset.errors


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def tasks(user, make_task):
    """Three tasks with distinct status, priority, creation and due moments."""
    rows = [
        ("alpha", "TODO", "LOW", at(2025, 1, 1, 9), at(2025, 10, 15)),
        ("beta", "IN_PROGRESS", "HIGH", at(2025, 6, 30, 23, 59), at(2025, 10, 15, 23, 30)),
        ("gamma", "DONE", "MEDIUM", at(2025, 12, 31, 12), None),
    ]
    for title, status, priority, created, due in rows:
        task = make_task(user, title=title, status=status, priority=priority, due_date=due)
        Task.objects.filter(pk=task.pk).update(created_at=created)  # auto_now_add ignores input


@pytest.mark.usefixtures("tasks")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["alpha", "beta", "gamma"]),
        ({"status": "DONE"}, ["gamma"]),
        ({"priority": "HIGH"}, ["beta"]),
        ({"search": "ALP"}, ["alpha"]),
        ({"created_after": "2025-06-30"}, ["beta", "gamma"]),
        ({"created_after": "2025-07-01"}, ["gamma"]),
        ({"created_before": "2025-06-30"}, ["alpha", "beta"]),  # a date includes its day
        ({"created_before": "2025-06-30T12:00:00Z"}, ["alpha"]),  # a datetime is an instant
        ({"created_after": "2025-06-30T23:59:00", "created_before": "2025-06-30T23:59:00"},
         ["beta"]),  # naive means UTC; both bounds inclusive
        ({"due_date": "2025-10-15"}, ["alpha", "beta"]),
        ({"due_date": "2025-10-16"}, []),
        ({"due_after": "2025-10-15T12:00:00+00:00"}, ["beta"]),
        ({"due_before": "2025-10-15T03:00:00+02:00"}, ["alpha"]),  # 01:00 UTC
    ],
)  # fmt: skip
def test_filters_select_the_expected_tasks(params, expected):
    assert titles(params) == expected


def test_search_looks_in_the_description_too(user, make_task):
    make_task(user, title="one", description="Deploy on Friday")
    make_task(user, title="two")

    assert titles({"search": "deploy"}) == ["one"]


@pytest.mark.usefixtures("tasks")
@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("priority", ["alpha", "gamma", "beta"]),  # LOW < MEDIUM < HIGH, not alphabetical
        ("-priority", ["beta", "gamma", "alpha"]),
        ("status", ["alpha", "beta", "gamma"]),  # TODO < IN_PROGRESS < DONE
        ("-created_at", ["gamma", "beta", "alpha"]),
        ("due_date", ["alpha", "beta", "gamma"]),  # no due date: last either way
        ("-due_date", ["beta", "alpha", "gamma"]),
        ("-title", ["gamma", "beta", "alpha"]),
        ("status, -title", ["alpha", "beta", "gamma"]),
    ],
)
def test_ordering(ordering, expected):
    filterset = TaskFilter({"ordering": ordering}, queryset=Task.objects.all())
    assert filterset.is_valid(), filterset.errors
    assert [task.title for task in filterset.qs] == expected


@pytest.mark.parametrize("bad", ["owner", "password", "--title", "id", "created_at,nope"])
def test_unknown_ordering_names_the_allowed_fields(bad):
    field = bad.split(",")[-1]
    assert errors({"ordering": bad}) == {"ordering": [ORDERING_INVALID.format(field=field)]}
    assert "created_at, updated_at, due_date, priority, status, title" in ORDERING_INVALID


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"created_after": "yesterday"}, DATE_OR_DATETIME_INVALID),
        ({"due_before": "2025-02-30"}, DATE_OR_DATETIME_INVALID),
        ({"due_after": "9999-12-31"}, DATE_OR_DATETIME_INVALID),
        ({"due_date": "2025-10-15T10:00:00"}, DATE_INVALID),
    ],
)
def test_bad_dates_are_rejected_with_a_message(params, message):
    (name,) = params
    assert errors(params) == {name: [message]}


def test_unknown_choice_is_rejected():
    assert "status" in errors({"status": "SOMEDAY"})
