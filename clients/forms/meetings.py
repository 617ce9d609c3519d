"""A meeting planned for a client, and what happened at one."""

import datetime

from django import forms
from django.utils import timezone

from clients.forms.common import DateInput
from clients.models import (
    AttendanceStatus,
    MissReason,
    Recurrence,
)
from clients.services.plans import PLAN_END_BEFORE_START

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
