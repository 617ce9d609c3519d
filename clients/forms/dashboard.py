"""The dashboard's filters: one therapist (for a manager) and the period."""

import datetime

from django import forms
from django.utils import timezone

from recovery.models import Role, User

# The last 90 days, today included.
DEFAULT_PERIOD = datetime.timedelta(days=90 - 1)
# The themes table has a column per month of the period.
LONGEST_PERIOD = datetime.timedelta(days=731)
# A period outside these years is a typing slip; the calendar's ends would overflow the sums.
EARLIEST, LATEST = datetime.date(1900, 1, 1), datetime.date(2999, 12, 31)


class DashboardFilters(forms.Form):
    therapist = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="All therapists"
    )
    start = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From"
    )
    end = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To"
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        if user.role == Role.THERAPIST:
            del self.fields["therapist"]
        else:
            self.fields["therapist"].queryset = User.objects.filter(
                practice=user.practice, role=Role.THERAPIST
            )

    def _clean_day(self, name: str) -> datetime.date | None:
        day = self.cleaned_data.get(name)
        if day is not None and not (EARLIEST <= day <= LATEST):
            raise forms.ValidationError(
                f"Choose a date between {EARLIEST:%Y} and {LATEST:%Y}.", code="out_of_range"
            )
        return day

    def clean_start(self):
        return self._clean_day("start")

    def clean_end(self):
        return self._clean_day("end")

    def clean(self):
        cleaned = super().clean()
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        today = timezone.localdate()
        cleaned["end"] = cleaned.get("end") or today
        cleaned["start"] = cleaned.get("start") or cleaned["end"] - DEFAULT_PERIOD
        if cleaned["start"] > cleaned["end"]:
            self.add_error("start", "The period must start on or before the day it ends.")
        elif cleaned["end"] - cleaned["start"] > LONGEST_PERIOD:
            self.add_error("start", "Choose a period of two years or less.")
        return cleaned

    def applied(self, *, today: datetime.date) -> tuple[datetime.date, datetime.date, User | None]:
        """The period and therapist to show. A filter with an error is shown with it and falls
        back to its default (both ends of the period together); the others still apply, to
        the page and its CSV files alike."""
        data = {}
        if self.is_bound:
            self.is_valid()  # cleaned_data then holds every field without an error
            data = dict(self.cleaned_data)
            if "start" in self.errors or "end" in self.errors:
                data.pop("start", None)
                data.pop("end", None)
        return (
            data.get("start") or today - DEFAULT_PERIOD,
            data.get("end") or today,
            data.get("therapist"),
        )
