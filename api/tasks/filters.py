"""Task list filters, search and ordering: the query parameters of `GET tasks/`.

Date bounds accept a date or a datetime (tasks/dates.py). A bare date is a whole day:
`created_after=2025-01-01` starts at its midnight, `created_before=2025-12-31` includes that
day; a datetime is an exact instant, inclusive on both sides.
"""

import django_filters
from django import forms
from django.db.models import Case, F, IntegerField, Q, Value, When

from tasks.dates import DATE_INVALID, DATE_OR_DATETIME_INVALID, parse_moment
from tasks.models import Priority, Status, Task

ORDERING_FIELDS = ("created_at", "updated_at", "due_date", "priority", "status", "title")
ORDERING_INVALID = (
    "Unknown ordering field {field!r}. Allowed: "
    + ", ".join(ORDERING_FIELDS)
    + " (prefix with '-' for descending, separate several with commas)."
)
# Every ordering ends with these, so equal keys keep a stable order across pages.
DEFAULT_ORDERING = ("-created_at", "-id")


def _rank(field: str, choices) -> Case:
    """Order choices by meaning (LOW < MEDIUM < HIGH), not alphabetically."""
    whens = [When(**{field: value}, then=Value(rank)) for rank, value in enumerate(choices.values)]
    return Case(*whens, output_field=IntegerField())


_SORT_KEYS = {
    "priority": _rank("priority", Priority),
    "status": _rank("status", Status),
}


def _order_expression(term: str):
    name = term.lstrip("-")
    expression = _SORT_KEYS.get(name, F(name))
    # nulls_last: SQLite and PostgreSQL disagree on where NULL due dates go otherwise
    if term.startswith("-"):
        return expression.desc(nulls_last=True)
    return expression.asc(nulls_last=True)


class MomentField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return parse_moment(value)
        except ValueError:
            raise forms.ValidationError(DATE_OR_DATETIME_INVALID) from None


class DayField(MomentField):
    def clean(self, value):
        moment = super().clean(value)
        if moment is not None and not moment.is_date:
            raise forms.ValidationError(DATE_INVALID)
        return moment


class OrderingField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        terms = [term.strip() for term in (value or "").split(",") if term.strip()]
        for term in terms:
            if term.lstrip("-") not in ORDERING_FIELDS or term.count("-") > 1:
                raise forms.ValidationError(ORDERING_INVALID.format(field=term))
        return terms


class DayFilter(django_filters.Filter):
    field_class = DayField


class OrderingFilter(django_filters.Filter):
    field_class = OrderingField


class MomentFilter(django_filters.Filter):
    """`<field> >= moment` (after) or `<field> <= moment`, a bare date covering its day."""

    field_class = MomentField

    def __init__(self, *args, before: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.before = before

    def filter(self, qs, moment):
        if moment is None:
            return qs
        if not self.before:
            return qs.filter(**{f"{self.field_name}__gte": moment.at})
        if moment.is_date:
            return qs.filter(**{f"{self.field_name}__lt": moment.end_of_day})
        return qs.filter(**{f"{self.field_name}__lte": moment.at})


class TaskFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    search = django_filters.CharFilter(method="filter_search", label="Text in title or description")
    created_after = MomentFilter(field_name="created_at", before=False, label="Created on/after")
    created_before = MomentFilter(field_name="created_at", before=True, label="Created on/before")
    due_after = MomentFilter(field_name="due_date", before=False, label="Due on/after")
    due_before = MomentFilter(field_name="due_date", before=True, label="Due on/before")
    due_date = DayFilter(method="filter_due_date", label="Due on this day (UTC)")
    ordering = OrderingFilter(method="filter_ordering", label=", ".join(ORDERING_FIELDS))

    class Meta:
        model = Task
        fields = []

    def filter_search(self, qs, name, value):
        return qs.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_due_date(self, qs, name, day):
        # a range, not `__date`, so the (owner, due_date) index serves it
        return qs.filter(due_date__gte=day.at, due_date__lt=day.end_of_day)

    def filter_ordering(self, qs, name, terms):
        return qs.order_by(*(_order_expression(term) for term in terms), *DEFAULT_ORDERING)
