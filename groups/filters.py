import django_filters
from django import forms
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from groups.models import AttendanceOption, Program, Weekday
from groups.places import Place, PlaceError, km_from, place_lookup
from groups.queries import TIMES_OF_DAY, filter_near, filter_starting_within, filter_time_of_day
from groups.types import LANGUAGE_CODES, MEETING_TYPES, language_choices
from recovery.models import DistanceUnit

# How far "near" reaches when no distance is given.
DEFAULT_WITHIN = {DistanceUnit.MILES: 15, DistanceUnit.KILOMETRES: 25}

# Types a therapist filters by, in groups; languages have a filter of their own, and TC/ONL
# are about the venue, which the attendance filter covers. A code a group does not name lands
# in "Other".
TYPE_GROUPS: dict[str, tuple[str, ...]] = {
    "Who it is for": (
        "BE", "O", "C", "W", "M", "LGBTQ", "G", "L", "BI", "T", "NB", "Y", "SEN", "POC",
        "N", "NDG", "P", "DD", "AL-AN", "AL",
    ),
    "What happens": (
        "D", "SP", "ST", "TR", "B", "12x12", "LIT", "LS", "ABSI", "DR", "GR", "11", "MED",
        "A", "XT", "H", "CAN", "BRK", "OUT",
    ),
    "Access and practicalities": ("X", "XB", "BA", "CF", "FF", "SM", "POA", "DB"),
}  # fmt: skip


def _type_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    filterable = {
        code: name
        for code, name in MEETING_TYPES.items()
        if code not in LANGUAGE_CODES and code not in {"TC", "ONL"}
    }
    grouped = [
        (group, [(code, filterable[code]) for code in codes if code in filterable])
        for group, codes in TYPE_GROUPS.items()
    ]
    named = {code for codes in TYPE_GROUPS.values() for code in codes}
    other = sorted(
        ((code, name) for code, name in filterable.items() if code not in named),
        key=lambda choice: choice[1],
    )
    return grouped + ([("Other", other)] if other else [])


TYPE_CHOICES = _type_choices()


def program_choices() -> list[tuple[str, str]]:
    return list(Program.objects.order_by("name").values_list("key", "name"))


def has_type(code: str) -> Q:
    """Meetings whose types include this code."""
    if connection.vendor == "postgresql":
        return Q(types__contains=[code])  # jsonb containment
    # SQLite has no JSON containment; its JSON text holds each code in quotes, so '"BE"'
    # matches the code BE and never "BEX".
    return Q(types__icontains=f'"{code}"')


class MeetingFilterForm(forms.Form):
    def clean(self) -> dict:
        """A place typed in Near, or a latitude and longitude given together: either is the
        origin (`self.origin`); half of one, or a place not found, is an error on the form."""
        data = super().clean()
        self.origin: Place | None = None
        near, lat, lng = data.get("near"), data.get("lat"), data.get("lng")
        if near:
            try:
                self.origin = place_lookup(near)
            except PlaceError as error:
                self.add_error("near", str(error))
        elif (lat is None) != (lng is None) and not (
            self.has_error("lat") or self.has_error("lng")
        ):
            self.add_error(
                "lng" if lng is None else "lat", "Give both latitude and longitude, or neither."
            )
        elif lat is not None:
            self.origin = Place(f"{lat:g}, {lng:g}", float(lat), float(lng))
        if data.get("within") and not (near or lat is not None or lng is not None):
            self.add_error("near", "Say near where: a ZIP code, a town or coordinates.")
        return data


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
        label="Starts within (hours)",
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
        widget=forms.CheckboxSelectMultiple,
    )
    language = django_filters.ChoiceFilter(
        choices=language_choices,
        method="filter_language",
        label="Language",
        empty_label="Any language",
    )
    near = django_filters.CharFilter(
        method="filter_none",
        label="Near",
        max_length=100,
        help_text="A ZIP code, a town (Portland, ME) or coordinates (43.66, -70.26).",
    )
    within = django_filters.NumberFilter(
        method="filter_none", label="Within", min_value=1, max_value=300
    )
    lat = django_filters.NumberFilter(
        method="filter_none", label="Latitude", min_value=-90, max_value=90
    )
    lng = django_filters.NumberFilter(
        method="filter_none", label="Longitude", min_value=-180, max_value=180
    )

    class Meta:
        form = MeetingFilterForm

    def __init__(self, *args, unit: str = DistanceUnit.MILES, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.form.fields["within"].label = f"Within ({DistanceUnit(unit).label.lower()})"
        self.form.fields["within"].widget.attrs.update(min=1, max=300)

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
        origin = self.form.origin
        if origin is not None:
            within = self.form.cleaned_data.get("within") or DEFAULT_WITHIN[self.unit]
            queryset = filter_near(
                queryset.exclude(attendance_option=AttendanceOption.ONLINE),
                latitude=origin.latitude,
                longitude=origin.longitude,
                km=km_from(float(within), self.unit),
            )
        return queryset

    def labelled_errors(self) -> list[tuple[str, str]]:
        """The form's errors by the label a person sees, not the field's name."""
        return [
            (self.form.fields[name].label if name in self.form.fields else "", " ".join(errors))
            for name, errors in self.form.errors.items()
        ]
