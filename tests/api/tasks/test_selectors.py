"""Task reads: owner scoping, default order, stats."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from tasks.selectors import TASK_NOT_FOUND, task_get_for, task_list_for, task_stats_for

pytestmark = pytest.mark.django_db


def test_list_is_scoped_to_the_owner_newest_first(user, make_user, make_task):
    first = make_task(user, title="first")
    second = make_task(user, title="second")
    make_task(make_user("bob"))

    assert list(task_list_for(user=user)) == [second, first]


def test_list_rejects_bad_filters_naming_them(user):
    with pytest.raises(ValidationError) as raised:
        task_list_for(user=user, filters={"priority": "URGENT"})

    assert set(raised.value.message_dict) == {"priority"}


def test_get_finds_own_task_only(user, make_user, make_task):
    mine = make_task(user)
    theirs = make_task(make_user("bob"))

    assert task_get_for(user=user, task_id=mine.id) == mine
    for task_id in (theirs.id, uuid.uuid4()):
        with pytest.raises(Http404, match=TASK_NOT_FOUND):
            task_get_for(user=user, task_id=task_id)


def test_stats_of_a_user_without_tasks_are_zeros(user):
    assert task_stats_for(user=user) == {
        "total": 0,
        "by_status": {"TODO": 0, "IN_PROGRESS": 0, "DONE": 0},
        "by_priority": {"LOW": 0, "MEDIUM": 0, "HIGH": 0},
    }


def test_stats_count_only_the_owners_tasks_in_one_query(user, make_user, make_task):
    make_task(user, status="DONE", priority="LOW")
    make_task(user, status="DONE", priority="HIGH")
    make_task(make_user("bob"), status="DONE")

    with CaptureQueriesContext(connection) as captured:
        stats = task_stats_for(user=user)

    assert len(captured) == 1
    assert stats["total"] == 2
    assert stats["by_status"]["DONE"] == 2
    assert stats["by_priority"] == {"LOW": 1, "MEDIUM": 0, "HIGH": 1}
