"""The client's details and their moves on the ladder."""

import datetime

from django import forms
from django.utils import timezone

from clients.forms.common import DateInput, time_zone_choices
from clients.models import (
    Client,
    ClientStatus,
    LadderStep,
    Substance,
)
from groups.models import Weekday
from groups.places import PlaceError, in_unit, km_from, place_lookup
from groups.types import language_choices
from recovery.models import DistanceUnit, Role, User

MAX_CLIENT_NOTES_CHARS = 10_000
# The farthest a client's travel limit goes, in each unit (500 km).
MAX_TRAVEL = {DistanceUnit.MILES: 300, DistanceUnit.KILOMETRES: 500}


class ClientForm(forms.ModelForm):
    contact_email = forms.EmailField(
        required=False,
        help_text="Used only for reminder emails the client agrees to.",
    )
    time_zone = forms.ChoiceField(choices=time_zone_choices)
    substances = forms.MultipleChoiceField(
        choices=Substance.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Substances or behaviors of concern",
    )
    notes = forms.CharField(
        required=False,
        max_length=MAX_CLIENT_NOTES_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Background notes",
        help_text="Visible to the client's therapist only.",
    )
    discharged_on = forms.DateField(required=False, widget=DateInput())
    language = forms.ChoiceField(
        choices=[("", "No preference"), *language_choices()],
        required=False,
        label="Meeting language",
    )
    available_days = forms.TypedMultipleChoiceField(
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Days the client can attend",
        help_text="Leave empty for any day.",
    )
    available_from = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}), label="Available from"
    )
    available_until = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}), label="Available until"
    )

    class Meta:
        model = Client
        fields = Client.EDITABLE_FIELDS
        labels = {
            "preferred_name": "Preferred name",
            "attendance_preference": "Online or in person",
            "program_preference": "Kind of program",
            "group_preference": "Gender-specific meetings",
            "prefers_lgbtq_meetings": "Prefers LGBTQ meetings",
            "place_name": "Sets out from",
        }
        help_texts = {
            "preferred_name": "What the client likes to be called; a first name and initial do.",
            "place_name": "A ZIP code or a town (Portland, ME): a neighbourhood, never a home "
            "address. Or leave it empty and give coordinates below.",
            "latitude": "Only if no ZIP code or town fits: an approximate point.",
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Distances in the practice's unit; stored in kilometres.
        self.unit = user.practice.distance_unit
        self.fields["max_distance_km"] = forms.IntegerField(
            required=False,
            min_value=1,
            max_value=MAX_TRAVEL[self.unit],
            label=f"Travels at most ({DistanceUnit(self.unit).label.lower()})",
        )
        if self.instance.max_distance_km:
            self.initial["max_distance_km"] = max(
                round(in_unit(self.instance.max_distance_km, self.unit)), 1
            )
        if not self.instance.pk:
            self.fields.pop("status")
            self.fields.pop("discharged_on")
            self.initial.setdefault("time_zone", user.practice.time_zone)
        own_client = (
            self.instance.primary_therapist_id == user.pk
            if self.instance.pk
            else user.role == Role.THERAPIST
        )
        if not own_client:
            # Background notes are for the client's therapist only: a manager or admin editing
            # the client neither sees them nor overwrites them.
            self.fields.pop("notes")
        if user.role == Role.THERAPIST:
            # A therapist adds clients to their own caseload.
            self.fields.pop("primary_therapist")
        else:
            self.fields["primary_therapist"].queryset = User.objects.filter(
                practice=user.practice, role=Role.THERAPIST, is_active=True
            )
            self.fields["primary_therapist"].label = "Therapist"

    def clean_discharged_on(self) -> datetime.date | None:
        day = self.cleaned_data.get("discharged_on")
        if day is None or day == self.instance.discharged_on:
            return day
        # The retention period runs from the discharge: a date before the client was added,
        # or one still to come, would shorten or stretch it at will.
        today = timezone.localdate()
        added = timezone.localdate(self.instance.created_at) if self.instance.pk else today
        if day > today:
            raise forms.ValidationError("Record a discharge once it has happened.")
        if day < added:
            raise forms.ValidationError(
                f"The discharge cannot be before the client was added ({added:%b %-d, %Y})."
            )
        return day

    def clean_preferred_name(self) -> str:
        name = self.cleaned_data["preferred_name"].strip()
        if not name:
            raise forms.ValidationError("Enter a name.")
        return name

    def clean_max_distance_km(self) -> int | None:
        distance = self.cleaned_data.get("max_distance_km")
        if distance is None:
            return None
        if "max_distance_km" not in self.changed_data and self.instance.max_distance_km:
            return self.instance.max_distance_km  # as stored, not rounded through miles
        return min(max(round(km_from(distance, self.unit)), 1), 500)

    def clean_place_name(self) -> str:
        text = self.cleaned_data.get("place_name", "").strip()
        if not text:
            self.place = None
            return ""
        try:
            self.place = place_lookup(text)
        except PlaceError as error:
            raise forms.ValidationError(str(error)) from None
        return self.place.label

    def clean(self):
        cleaned = super().clean()
        place = getattr(self, "place", None)
        if place is not None:
            cleaned["latitude"], cleaned["longitude"] = place.latitude, place.longitude
        elif (
            "place_name" in self.changed_data
            and "latitude" not in self.changed_data
            and "longitude" not in self.changed_data
            and not self.has_error("place_name")
        ):
            # The place was cleared: so is the point it gave.
            cleaned["latitude"] = cleaned["longitude"] = None
        if (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None):
            self.add_error("longitude", "Give both latitude and longitude, or neither.")
        for name, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
            value = cleaned.get(name)
            if value is not None and not low <= value <= high:
                self.add_error(name, f"Must be between {low} and {high}.")
        status = cleaned.get("status")
        if status == ClientStatus.DISCHARGED and not cleaned.get("discharged_on"):
            cleaned["discharged_on"] = timezone.localdate()
        if status == ClientStatus.ACTIVE:
            cleaned["discharged_on"] = None
        return cleaned


class LadderMoveForm(forms.Form):
    step = forms.TypedChoiceField(choices=LadderStep.choices, coerce=int, label="Step")
    reached_on = forms.DateField(widget=DateInput(), label="Date", initial=timezone.localdate)
    comment = forms.CharField(
        max_length=500,
        required=False,
        label="Comment",
        help_text="A few words: what happened, how it felt.",
    )

    def clean_reached_on(self) -> datetime.date:
        day = self.cleaned_data["reached_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("Choose today or an earlier date.")
        return day
