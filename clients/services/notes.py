"""Session notes: drafts, optimistic versions, signing, addenda."""

import datetime
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from clients.models import (
    NOTE_SECTIONS,
    Addendum,
    Client,
    NoteFormat,
    NoteStatus,
    NoteTheme,
    ResistanceTheme,
    SessionNote,
    SignedNoteError,
    StageOfChange,
)
from clients.selectors import Need
from clients.services.common import ensure_access
from recovery.models import AuditAction, User
from recovery.services import audit

# Generous for a session note, small enough that nobody pastes a book into one by mistake.
MAX_SECTION_CHARS = 20_000


class NoteConflictError(Exception):
    """Someone else saved this draft since it was opened."""


def _clean_sections(note_format: str, sections: Mapping[str, str]) -> dict[str, str]:
    if note_format not in NoteFormat.values:
        raise ValidationError({"format": f"Unknown note format {note_format!r}."})
    allowed = [key for key, _label, _help in NOTE_SECTIONS[note_format]]
    unknown = set(sections) - set(allowed)
    if unknown:
        raise ValidationError(
            {"sections": f"Sections {sorted(unknown)} do not belong to a {note_format} note."}
        )
    cleaned = {}
    for key in allowed:
        text = sections.get(key) or ""
        if not isinstance(text, str):
            raise ValidationError({key: "Must be text."})
        if len(text) > MAX_SECTION_CHARS:
            raise ValidationError(
                {key: f"Keep each section under {MAX_SECTION_CHARS:,} characters."}
            )
        cleaned[key] = text.replace("\x00", "")
    return cleaned


def _clean_themes(client: Client, themes: Mapping[ResistanceTheme, int]) -> dict:
    cleaned = {}
    for theme, intensity in themes.items():
        if theme.practice_id not in (None, client.practice_id):
            raise ValidationError({"themes": "That theme belongs to another practice."})
        if intensity not in (1, 2, 3):
            raise ValidationError({"themes": "Intensity is 1 (mild), 2 or 3 (strong)."})
        cleaned[theme] = intensity
    return cleaned


@transaction.atomic
def session_note_create(
    *,
    actor: User,
    client: Client,
    session_date: datetime.date,
    format: str = NoteFormat.DAP,
    sections: Mapping[str, str] | None = None,
    duration_minutes: int = 50,
    stage_of_change: str = "",
    craving_reported: bool = False,
    lapse_reported: bool = False,
    next_steps: str = "",
    themes: Mapping[ResistanceTheme, int] | None = None,
    request: HttpRequest | None = None,
) -> SessionNote:
    ensure_access(actor, client, Need.CLINICIAN)
    if stage_of_change and stage_of_change not in StageOfChange.values:
        raise ValidationError({"stage_of_change": "Unknown stage of change."})
    note = SessionNote(
        client=client,
        author=actor,
        session_date=session_date,
        format=format,
        sections=_clean_sections(format, sections or {}),
        duration_minutes=duration_minutes,
        stage_of_change=stage_of_change,
        craving_reported=craving_reported,
        lapse_reported=lapse_reported,
        next_steps=next_steps,
    )
    note.full_clean()
    note.save()
    for theme, intensity in _clean_themes(client, themes or {}).items():
        NoteTheme.objects.create(note=note, theme=theme, intensity=intensity)
    audit(action=AuditAction.CREATE, actor=actor, client=client, obj=note, request=request)
    return note


@transaction.atomic
def session_note_update(
    *,
    actor: User,
    note: SessionNote,
    expected_version: int,
    sections: Mapping[str, str] | None = None,
    themes: Mapping[ResistanceTheme, int] | None = None,
    request: HttpRequest | None = None,
    **changes,
) -> SessionNote:
    """Save a draft. Refuses a signed note, and a draft someone else saved meanwhile."""
    ensure_access(actor, note.client, Need.CLINICIAN)
    editable = {
        "session_date",
        "format",
        "duration_minutes",
        "stage_of_change",
        "craving_reported",
        "lapse_reported",
        "next_steps",
    }
    if set(changes) - editable:
        raise ValidationError(f"Cannot change {sorted(set(changes) - editable)} here.")
    # Lock the row so the version check and the write are one step.
    current = SessionNote.objects.select_for_update().get(pk=note.pk)
    if current.is_signed:
        raise SignedNoteError("A signed note cannot be changed; add an addendum instead.")
    if current.version != expected_version:
        raise NoteConflictError("This draft was saved by someone else since you opened it.")
    for field, value in changes.items():
        setattr(current, field, value)
    current.sections = _clean_sections(
        current.format, sections if sections is not None else current.sections
    )
    current.version = F("version") + 1
    current.full_clean(exclude=["version"])
    current.save()
    current.refresh_from_db()
    if themes is not None:
        current.note_themes.all().delete()
        for theme, intensity in _clean_themes(current.client, themes).items():
            NoteTheme.objects.create(note=current, theme=theme, intensity=intensity)
    audit(
        action=AuditAction.UPDATE, actor=actor, client=current.client, obj=current, request=request
    )
    return current


@transaction.atomic
def session_note_sign(
    *, actor: User, note: SessionNote, request: HttpRequest | None = None
) -> SessionNote:
    ensure_access(actor, note.client, Need.CLINICIAN)
    current = SessionNote.objects.select_for_update().get(pk=note.pk)
    if current.is_signed:
        raise SignedNoteError("This note is already signed.")
    if current.author_id != actor.pk:
        raise PermissionDenied("Only the author signs a note.")
    if not any(text.strip() for text in current.sections.values()):
        raise ValidationError("An empty note cannot be signed. Write at least one section first.")
    current.status = NoteStatus.SIGNED
    current.signed_at = timezone.now()
    current.signed_by = actor
    current.save()
    audit(action=AuditAction.SIGN, actor=actor, client=current.client, obj=current, request=request)
    return current


@transaction.atomic
def session_note_save(
    *,
    actor: User,
    client: Client,
    note: SessionNote | None,
    expected_version: int | None = None,
    sign: bool = False,
    sections: Mapping[str, str] | None = None,
    themes: Mapping[ResistanceTheme, int] | None = None,
    request: HttpRequest | None = None,
    **fields,
) -> SessionNote:
    """What the note form's Save and Sign buttons do: create the draft, or update it if the
    version the form was opened at still holds, and sign it if asked, in one transaction. A
    refused signature (an empty note, say) leaves no new draft behind and does not overwrite
    the saved draft with what was posted."""
    if note is None:
        saved = session_note_create(
            actor=actor, client=client, sections=sections, themes=themes, request=request, **fields
        )
    else:
        if note.client_id != client.pk:
            raise PermissionDenied("That note belongs to another client.")
        saved = session_note_update(
            actor=actor,
            note=note,
            expected_version=expected_version or note.version,
            sections=sections,
            themes=themes,
            request=request,
            **fields,
        )
    if sign:
        saved = session_note_sign(actor=actor, note=saved, request=request)
    return saved


@transaction.atomic
def addendum_create(
    *, actor: User, note: SessionNote, text: str, request: HttpRequest | None = None
) -> Addendum:
    ensure_access(actor, note.client, Need.CLINICIAN)
    if not note.is_signed:
        raise ValidationError("Edit the draft itself; addenda are for signed notes.")
    text = text.replace("\x00", "").strip()
    if not text:
        raise ValidationError({"text": "Write the correction or addition."})
    if len(text) > MAX_SECTION_CHARS:
        raise ValidationError({"text": f"Keep it under {MAX_SECTION_CHARS:,} characters."})
    addendum = Addendum.objects.create(note=note, author=actor, text=text)
    audit(action=AuditAction.CREATE, actor=actor, client=note.client, obj=addendum, request=request)
    return addendum
