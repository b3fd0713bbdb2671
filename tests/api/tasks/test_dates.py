"""Date-or-datetime parsing shared by `due_date` and the date filters."""

from datetime import UTC, datetime

import pytest

from tasks.dates import DATE_OR_DATETIME_INVALID, parse_moment


@pytest.mark.parametrize(
    ("text", "expected", "is_date"),
    [
        ("2025-10-15", datetime(2025, 10, 15, tzinfo=UTC), True),
        ("2025-10-15T10:30:00", datetime(2025, 10, 15, 10, 30, tzinfo=UTC), False),
        ("2025-10-15T10:30:00Z", datetime(2025, 10, 15, 10, 30, tzinfo=UTC), False),
        ("2025-10-15T00:30:00+02:00", datetime(2025, 10, 14, 22, 30, tzinfo=UTC), False),
    ],
)
def test_parse_moment(text, expected, is_date):
    moment = parse_moment(text)

    assert moment.at == expected
    assert moment.at.utcoffset().total_seconds() == 0
    assert moment.is_date is is_date


@pytest.mark.parametrize(
    "text",
    ["", "tomorrow", "2025-13-01", "2025-02-30", "2025-10-15T25:00", "9999-12-31",
     "0001-01-01T00:00:00+01:00", "10000-01-01"],
)  # fmt: skip
def test_parse_moment_rejects(text):
    with pytest.raises(ValueError, match="Enter a date"):
        parse_moment(text)
    assert DATE_OR_DATETIME_INVALID.startswith("Enter a date")
