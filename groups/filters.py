import django_filters
from django import forms
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from groups.models import AttendanceOption, Program, Weekday
from groups.selectors import TIMES_OF_DAY, filter_near, filter_starting_within, filter_time_of_day
from groups.types import LANGUAGE_CODES, MEETING_TYPES, language_choices

# Types a therapist filters by; languages have a filter of their own, and TC/ONL are
# about the venue, which the attendance filter covers.
TYPE_CHOICES = sorted(
    (
        (code, name)
        for code, name in MEETING_TYPES.items()
        if code not in LANGUAGE_CODES and code not in {"TC", "ONL"}
    ),
    key=lambda choice: choice[1],
)


def program_choices() -> list[tuple[str, str]]:
    return list(Program.objects.order_by("name").values_list("key", "name"))


def has_type(code: str) -> Q:
    """Meetings whose types include this code."""
    if connection.vendor == "postgresql":
        return Q(types__contains=[code])  # jsonb containment
    # SQLite has no JSON containment; its JSON text holds each code in quotes, so '"BE"'
    # matches the code BE and never "BEX".
    return Q(types__icontains=f'"{code}"')


class MeetingFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_text",
        label="Search",
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, place or notes"}),
    )
    program = django_filters.MultipleChoiceFilter(
        field_name="program__key",
        distinct=False,
        choices=program_choices,
        label="Program",
        widget=forms.CheckboxSelectMultiple,
    )
    day = django_filters.MultipleChoiceFilter(
        distinct=False, choices=Weekday.choices, label="Day", widget=forms.CheckboxSelectMultiple
    )
    time_of_day = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _s, _e) in TIMES_OF_DAY.items()],
        method="filter_time_of_day",
        label="Time of day",
        empty_label="Any time",
    )
    within_hours = django_filters.NumberFilter(
        method="filter_within",
        label="Starting within (hours)",
        min_value=1,
        max_value=168,
        widget=forms.NumberInput(attrs={"min": 1, "max": 168}),
    )
    attendance = django_filters.MultipleChoiceFilter(
        distinct=False,
        field_name="attendance_option",
        choices=AttendanceOption.choices,
        label="Attendance",
        widget=forms.CheckboxSelectMultiple,
    )
    types = django_filters.MultipleChoiceFilter(
        distinct=False,
        choices=TYPE_CHOICES,
        method="filter_types",
        label="Meeting types",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    language = django_filters.ChoiceFilter(
        choices=language_choices,
        method="filter_language",
        label="Language",
        empty_label="Any language",
    )
    lat = django_filters.NumberFilter(
        method="filter_none", label="Latitude", min_value=-90, max_value=90
    )
    lng = django_filters.NumberFilter(
        method="filter_none", label="Longitude", min_value=-180, max_value=180
    )
    km = django_filters.NumberFilter(
        method="filter_none", label="Within (km)", min_value=1, max_value=500
    )

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        condition = Q()
        for field in ("name", "location_name", "address", "city", "notes", "location_notes"):
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)

    def filter_time_of_day(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return filter_time_of_day(queryset, value)

    def filter_within(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return filter_starting_within(queryset, now=timezone.now(), hours=int(value))

    def filter_types(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        for code in value:
            queryset = queryset.filter(has_type(code))
        return queryset

    def filter_language(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(has_type(value))

    def filter_none(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset  # lat/lng/km act together in filter_queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if data.get("lat") is not None and data.get("lng") is not None:
            queryset = filter_near(
                queryset.exclude(attendance_option=AttendanceOption.ONLINE),
                latitude=float(data["lat"]),
                longitude=float(data["lng"]),
                km=float(data.get("km") or 25),
            )
        return queryset
