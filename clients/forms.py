"""Forms parse and validate what people type; services decide what happens with it."""

import datetime
import functools
from collections.abc import Iterable

from django import forms
from django.utils import timezone

from clients.models import (
    NOTE_SECTIONS,
    AttendanceStatus,
    Client,
    ClientStatus,
    LadderStep,
    MissReason,
    NoteFormat,
    Recurrence,
    ResistanceTheme,
    SessionNote,
    StageOfChange,
    Substance,
)
from clients.services import MAX_SECTION_CHARS
from clients.services.plans import PLAN_END_BEFORE_START
from groups.models import Weekday
from groups.places import PlaceError, in_unit, km_from, place_lookup
from groups.types import language_choices
from recovery.models import DistanceUnit, Role, User, known_time_zones

MAX_CLIENT_NOTES_CHARS = 10_000
# The farthest a client's travel limit goes, in each unit (500 km).
MAX_TRAVEL = {DistanceUnit.MILES: 300, DistanceUnit.KILOMETRES: 500}
MAX_NEXT_STEPS_CHARS = 5_000
INTENSITY_CHOICES = [("", "Not voiced"), (1, "1 · mild"), (2, "2 · moderate"), (3, "3 · strong")]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


@functools.cache
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in known_time_zones() if "/" in z and "Etc" not in z)
    return [(zone, zone.replace("_", " ")) for zone in zones]


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


class SessionNoteForm(forms.Form):
    """A note's fields, with one text box per section of the chosen format and one
    intensity choice per resistance theme."""

    session_date = forms.DateField(widget=DateInput())
    duration_minutes = forms.IntegerField(
        min_value=1, max_value=480, initial=50, label="Duration (minutes)"
    )
    format = forms.ChoiceField(choices=NoteFormat.choices, initial=NoteFormat.DAP)
    stage_of_change = forms.ChoiceField(
        choices=[("", "Not assessed"), *StageOfChange.choices],
        required=False,
        label="Stage of change at this session",
    )
    craving_reported = forms.BooleanField(required=False, label="Cravings reported")
    lapse_reported = forms.BooleanField(required=False, label="Lapse or relapse reported")
    next_steps = forms.CharField(
        required=False,
        max_length=MAX_NEXT_STEPS_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Agreed next steps",
    )
    # The draft's version when the form was opened: saving over a newer one is a conflict.
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args, themes: Iterable[ResistanceTheme], note_format: str | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.themes = list(themes)
        chosen = note_format or self.data.get("format") or self.initial.get("format")
        self.note_format = chosen if chosen in NoteFormat.values else NoteFormat.DAP
        if self.is_bound:
            # Sections posted under another format (the format changed before the page's
            # script could swap the boxes, or without script at all) are carried into this
            # one, as the swap would have done, rather than dropped.
            self.data = self.data.copy()
            for key, text in carry_sections_over(self.data, self.note_format).items():
                self.data[f"section_{key}"] = text
        for key, label, help_text in NOTE_SECTIONS[self.note_format]:
            self.fields[f"section_{key}"] = forms.CharField(
                label=label,
                help_text=help_text,
                required=False,
                max_length=MAX_SECTION_CHARS,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
        for theme in self.themes:
            self.fields[f"theme_{theme.pk}"] = forms.TypedChoiceField(
                label=theme.name,
                choices=INTENSITY_CHOICES,
                coerce=int,
                required=False,
                empty_value=None,
            )

    @classmethod
    def initial_from(cls, note: SessionNote) -> dict:
        initial = {
            "session_date": note.session_date,
            "duration_minutes": note.duration_minutes,
            "format": note.format,
            "stage_of_change": note.stage_of_change,
            "craving_reported": note.craving_reported,
            "lapse_reported": note.lapse_reported,
            "next_steps": note.next_steps,
            "version": note.version,
        }
        initial.update({f"section_{k}": v for k, v in (note.sections or {}).items()})
        initial.update({f"theme_{nt.theme_id}": nt.intensity for nt in note.note_themes.all()})
        return initial

    def section_fields(self):
        return [self[f"section_{key}"] for key, _label, _help in NOTE_SECTIONS[self.note_format]]

    def theme_fields(self):
        return [self[f"theme_{theme.pk}"] for theme in self.themes]

    def clean_session_date(self) -> datetime.date:
        day = self.cleaned_data["session_date"]
        if day > timezone.localdate() + datetime.timedelta(days=1):
            raise forms.ValidationError("A session note is written for a session that happened.")
        return day

    @property
    def sections(self) -> dict[str, str]:
        return {
            key: self.cleaned_data.get(f"section_{key}", "")
            for key, _label, _help in NOTE_SECTIONS[self.note_format]
        }

    @property
    def tagged_themes(self) -> dict[ResistanceTheme, int]:
        return {
            theme: self.cleaned_data[f"theme_{theme.pk}"]
            for theme in self.themes
            if self.cleaned_data.get(f"theme_{theme.pk}")
        }

    def note_fields(self) -> dict:
        """Keyword arguments for the note services."""
        data = self.cleaned_data
        return {
            "session_date": data["session_date"],
            "duration_minutes": data["duration_minutes"],
            "format": self.note_format,
            "stage_of_change": data.get("stage_of_change") or "",
            "craving_reported": data.get("craving_reported", False),
            "lapse_reported": data.get("lapse_reported", False),
            "next_steps": data.get("next_steps", ""),
        }


def carry_sections_over(data, new_format: str) -> dict[str, str]:
    """Section text when the format changes: same-named sections keep their text, and text
    from sections the new format lacks moves into its first section, so nothing typed is lost.
    """
    new_keys = [key for key, _label, _help in NOTE_SECTIONS[new_format]]
    carried = {key: data.get(f"section_{key}", "") for key in new_keys}
    orphans = []
    for fmt_sections in NOTE_SECTIONS.values():
        for key, label, _help in fmt_sections:
            text = (data.get(f"section_{key}") or "").strip()
            if key not in new_keys and text and f"{label}: {text}" not in orphans:
                orphans.append(f"{label}: {text}")
    if orphans:
        first = new_keys[0]
        carried[first] = "\n\n".join(filter(None, [carried[first], *orphans]))
    return carried


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum",
        max_length=MAX_SECTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Dated and signed with your name. The original note stays as it was.",
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Write the correction or addition.")
        return text


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


# The calendar code (weekly occurrences in a meeting's time zone) overflows near the years 1
# and 9999, and nobody plans a meeting years ahead: dates a form takes stay well inside.
PLAN_AHEAD = datetime.timedelta(days=366)
ATTENDANCE_BACK = datetime.timedelta(days=3660)


# What the therapist writes about why a meeting fits: short, since the client reads it.
MAX_WHY_CHARS = 500


class MeetingPlanForm(forms.Form):
    recurrence = forms.ChoiceField(
        choices=Recurrence.choices,
        initial=Recurrence.WEEKLY,
        widget=forms.RadioSelect,
        label="How often",
    )
    starts_on = forms.DateField(widget=DateInput(), label="From", initial=timezone.localdate)
    until = forms.DateField(
        widget=DateInput(),
        label="Until",
        required=False,
        help_text="For weekly plans; leave empty to keep going.",
    )
    why = forms.CharField(
        label="Why this one (the client reads this on their page)",
        required=False,
        max_length=MAX_WHY_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="A sentence in plain words: “Small, and people stay for coffee after.”",
    )

    def clean(self):
        cleaned = super().clean()
        starts_on, until = cleaned.get("starts_on"), cleaned.get("until")
        if cleaned.get("recurrence") == Recurrence.ONCE:
            cleaned["until"] = None
        elif starts_on and until and until < starts_on:
            self.add_error("until", PLAN_END_BEFORE_START)
        if starts_on and starts_on < timezone.localdate() - datetime.timedelta(days=28):
            self.add_error("starts_on", "Plans start at most four weeks back.")
        if starts_on and starts_on > timezone.localdate() + PLAN_AHEAD:
            self.add_error("starts_on", "Plans start within the coming year.")
        return cleaned


class AttendanceForm(forms.Form):
    plan = forms.IntegerField(widget=forms.HiddenInput)
    occurrence = forms.DateTimeField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        choices=[
            (AttendanceStatus.ATTENDED, "Attended"),
            (AttendanceStatus.MISSED, "Missed"),
            (AttendanceStatus.SKIPPED, "Skipped"),
        ],
        label="What happened",
    )
    reason = forms.ChoiceField(
        choices=[("", "No reason given"), *MissReason.choices],
        required=False,
        label="Reason (if missed or skipped)",
    )
    note = forms.CharField(max_length=500, required=False, label="Note")

    def clean_occurrence(self) -> datetime.datetime:
        moment = self.cleaned_data["occurrence"]
        now = timezone.now()
        try:
            within = now - ATTENDANCE_BACK <= moment <= now + PLAN_AHEAD
        except OverflowError:  # a time at the very ends of the calendar, in UTC
            within = False
        if not within:
            raise forms.ValidationError("That is not a planned occurrence of this meeting.")
        return moment


class ConsentForm(forms.Form):
    consent_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2_000,
        label="What the client agreed to",
        help_text="Read this to the client, or show it; it is stored with the consent as shown.",
    )
    confirmed = forms.BooleanField(
        label="The client agreed to this today",
        required=True,
    )


class ReminderPreferencesForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = Client.REMINDER_PREFERENCE_FIELDS
        labels = {
            "reminder_lead_minutes": "Remind this many minutes before a meeting",
            "checkin_enabled": "Send a “how did it go?” check-in after the meeting",
            "checkin_delay_minutes": "Check in this many minutes after the meeting ends",
            "quiet_hours_start": "Quiet hours start",
            "quiet_hours_end": "Quiet hours end",
            "discreet_mode": "Discreet emails (no program or meeting names)",
        }
        help_texts = {
            "quiet_hours_start": "In the client's time zone. Nothing is sent during quiet hours.",
        }
        widgets = {
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}),
        }
