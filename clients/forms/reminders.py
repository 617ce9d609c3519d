"""Consent to emails and how the reminders come."""

from django import forms

from clients.models import (
    Client,
)


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
