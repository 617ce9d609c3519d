import datetime
import re

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from recovery.models import AuditAction, User


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilter(django_filters.FilterSet):
    """Filters of the audit review page; works on one practice's audit events."""

    user = django_filters.ModelChoiceFilter(
        field_name="actor",
        queryset=User.objects.none(),
        label="Who",
        empty_label="Anyone",
    )
    client = django_filters.CharFilter(
        method="filter_client",
        label="Client",
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name or number"}),
    )
    action = django_filters.ChoiceFilter(
        choices=AuditAction.choices, label="What", empty_label="Any action"
    )
    # Days in the practice's time zone (the middleware activates it), compared as instants so
    # that the (practice, -at) index serves the range.
    start = django_filters.DateFilter(method="filter_start", label="From", widget=DateInput())
    end = django_filters.DateFilter(method="filter_end", label="To", widget=DateInput())

    def __init__(self, data=None, *args, user: User, **kwargs):
        super().__init__(data, *args, **kwargs)
        # Staff of the user's practice, former staff included: their actions stay on record.
        self.filters["user"].queryset = User.objects.filter(practice=user.practice)

    def filter_client(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        # By number (ASCII digits, within a bigint): also finds a deleted client's trail.
        number = re.fullmatch(r"#?([0-9]{1,18})", value)
        if number:
            return queryset.filter(client_id=int(number.group(1)))
        return queryset.filter(client__preferred_name__icontains=value)

    def filter_start(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        since = _midnight(value)
        return queryset.filter(at__gte=since) if since else queryset

    def filter_end(self, queryset: QuerySet, name: str, value: datetime.date) -> QuerySet:
        until = _midnight(value, days_later=1)
        return queryset.filter(at__lt=until) if until else queryset


def _midnight(day: datetime.date, *, days_later: int = 0) -> datetime.datetime | None:
    """The start of a day in the current time zone, as UTC; None past either end of time."""
    try:
        local = datetime.datetime.combine(
            day + datetime.timedelta(days=days_later), datetime.time()
        )
        return timezone.make_aware(local).astimezone(datetime.UTC)
    except OverflowError:
        return None
