"""`due_date` and the date filters accept a date (`2025-10-15`) or an ISO 8601 datetime.

A date means midnight UTC; a datetime without an offset is taken as UTC. The result is
always an aware UTC datetime the database can store (years 1 to 9998, so shifting by a day
or an offset can never overflow).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils.dateparse import parse_date, parse_datetime

DATE_OR_DATETIME_INVALID = (
    "Enter a date (YYYY-MM-DD) or an ISO 8601 datetime (YYYY-MM-DDThh:mm[:ss][±hh:mm]) "
    "with a year from 1 to 9998."
)

DATE_INVALID = "Enter a date (YYYY-MM-DD) with a year from 1 to 9998."


@dataclass(frozen=True)
class Moment:
    at: datetime  # aware, UTC
    is_date: bool  # the client sent a bare date

    @property
    def end_of_day(self) -> datetime:
        """The first instant after the given day (for inclusive `…_before=<date>`)."""
        return self.at + timedelta(days=1)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def parse_moment(text: str) -> Moment:
    """Raise ValueError with DATE_OR_DATETIME_INVALID when `text` is neither."""
    try:
        day = parse_date(text)
        if day is not None:
            moment = Moment(day_start(day), is_date=True)
        else:
            parsed = parse_datetime(text)
            if parsed is None:
                raise ValueError(text)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            moment = Moment(parsed.astimezone(UTC), is_date=False)
    except (ValueError, OverflowError):
        raise ValueError(DATE_OR_DATETIME_INVALID) from None
    if not 1 <= moment.at.year <= 9998:
        raise ValueError(DATE_OR_DATETIME_INVALID)
    return moment
