"""taskmgr.compiled: a query compiled once answers as its queryset does, per parameter."""

import pytest
from django.contrib.auth import get_user_model

from taskmgr.compiled import CompiledQuery

pytestmark = pytest.mark.django_db


def test_rows_are_the_querysets_rows_for_each_parameter(make_user):
    users = [make_user(f"u{i}") for i in range(6)]
    User = get_user_model()

    def between(first, last):
        return User.objects.filter(pk__gte=first, pk__lte=last).order_by("-pk")

    compiled = CompiledQuery(
        lambda first, last: between(first, last).values_list("username", "date_joined"), -1, -2
    )

    for first, last in ((users[0].pk, users[5].pk), (users[2].pk, users[4].pk)):
        expected = [
            list(row) for row in between(first, last).values_list("username", "date_joined")
        ]
        assert [list(row) for row in compiled.rows(first, last)] == expected
        assert [list(row) for row in compiled.rows(first, last, offset=1, limit=2)] == expected[1:3]


@pytest.mark.parametrize(
    "build",
    [
        lambda _: get_user_model().objects.values_list("pk"),  # not used at all
        lambda name: get_user_model().objects.filter(username__startswith=name).values_list("pk"),
    ],
    ids=["unused", "transformed"],
)
def test_a_marker_that_is_not_a_parameter_as_given_is_refused(make_user, build):
    make_user()
    query = CompiledQuery(build, "<marker>")

    with pytest.raises(ValueError, match="marker"):
        query.rows("u")
