"""Session notes and their addenda."""

import datetime
from collections.abc import Iterable

from django import forms
from django.utils import timezone

from clients.forms.common import DateInput
from clients.models import (
    NOTE_SECTIONS,
    NoteFormat,
    ResistanceTheme,
    SessionNote,
    StageOfChange,
)
from clients.services import MAX_SECTION_CHARS

MAX_NEXT_STEPS_CHARS = 5_000
INTENSITY_CHOICES = [("", "Not voiced"), (1, "1 · mild"), (2, "2 · moderate"), (3, "3 · strong")]


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
