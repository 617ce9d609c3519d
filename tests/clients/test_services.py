"""Writes through the service layer: scope, validation, audit, signed notes stay signed."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clients.models import LadderStep, NoteStatus, ResistanceTheme, SessionNote, SignedNoteError
from clients.services import (
    MAX_SECTION_CHARS,
    NoteConflictError,
    addendum_create,
    email_consent_record,
    ladder_move_record,
    session_note_create,
    session_note_save,
    session_note_sign,
    session_note_update,
)
from recovery.models import AuditAction, AuditEvent
from tests.factories import ClientFactory

SESSION_DAY = datetime.date(2026, 11, 24)
DAP = {
    "data": "Said meetings are 'for people worse off'.",
    "assessment": "Ambivalent.",
    "plan": "Explore one online meeting.",
}


@pytest.fixture
def themes():
    curated = ResistanceTheme.objects.filter(practice=None)
    return curated.get(slug="fear-of-judgment"), curated.get(slug="social-anxiety")


@pytest.fixture
def draft(therapist, client_record, themes):
    return session_note_create(
        actor=therapist,
        client=client_record,
        session_date=SESSION_DAY,
        format="dap",
        sections=DAP,
        themes={themes[0]: 3, themes[1]: 1},
    )


def test_create_saves_sections_themes_and_an_audit_event(draft, client_record, themes):
    assert draft.status == NoteStatus.DRAFT
    assert draft.sections == DAP
    assert {(nt.theme, nt.intensity) for nt in draft.note_themes.all()} == {
        (themes[0], 3),
        (themes[1], 1),
    }
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="clients.sessionnote")
    assert event.client_id == client_record.pk
    assert event.object_id == str(draft.pk)


def test_audit_rows_never_hold_note_text(draft):
    assert "meetings are" not in str(list(AuditEvent.objects.values()))


def test_sections_must_belong_to_the_format(therapist, client_record):
    with pytest.raises(ValidationError):
        session_note_create(
            actor=therapist,
            client=client_record,
            session_date=SESSION_DAY,
            format="soap",
            sections={"data": "DAP section in a SOAP note"},
        )


def test_an_oversize_section_is_refused(therapist, client_record):
    with pytest.raises(ValidationError):
        session_note_create(
            actor=therapist,
            client=client_record,
            session_date=SESSION_DAY,
            sections={"data": "x" * (MAX_SECTION_CHARS + 1)},
        )
    assert not SessionNote.objects.exists()


@pytest.mark.parametrize("who", ["colleague", "manager", "outsider"])
def test_only_the_clients_therapist_writes_notes(request, who, client_record):
    with pytest.raises(PermissionDenied):
        session_note_create(
            actor=request.getfixturevalue(who),
            client=client_record,
            session_date=SESSION_DAY,
            sections=DAP,
        )
    assert not SessionNote.objects.exists()


def test_a_theme_of_another_practice_is_refused(therapist, client_record, outsider):
    foreign = ResistanceTheme.objects.create(
        practice=outsider.practice, slug="theirs", name="Theirs", description="x"
    )
    with pytest.raises(ValidationError):
        session_note_create(
            actor=therapist,
            client=client_record,
            session_date=SESSION_DAY,
            sections=DAP,
            themes={foreign: 2},
        )


def test_update_bumps_the_version(therapist, draft, themes):
    updated = session_note_update(
        actor=therapist,
        note=draft,
        expected_version=1,
        sections={**DAP, "plan": "Try a SMART meeting online."},
        themes={themes[1]: 2},
    )
    assert updated.version == 2
    assert updated.sections["plan"] == "Try a SMART meeting online."
    assert [(nt.theme, nt.intensity) for nt in updated.note_themes.all()] == [(themes[1], 2)]


def test_a_stale_version_is_a_conflict_not_an_overwrite(therapist, draft):
    session_note_update(actor=therapist, note=draft, expected_version=1, sections=DAP)
    with pytest.raises(NoteConflictError):
        session_note_update(
            actor=therapist,
            note=draft,
            expected_version=1,
            sections={**DAP, "data": "second writer"},
        )
    assert SessionNote.objects.get(pk=draft.pk).sections["data"] == DAP["data"]


def test_sign_then_no_update(therapist, draft):
    signed = session_note_sign(actor=therapist, note=draft)
    assert signed.status == NoteStatus.SIGNED
    assert signed.signed_by == therapist
    assert signed.signed_at is not None
    assert AuditEvent.objects.filter(action=AuditAction.SIGN, object_id=str(draft.pk)).exists()
    with pytest.raises(SignedNoteError):
        session_note_update(
            actor=therapist,
            note=signed,
            expected_version=signed.version,
            sections={**DAP, "data": "changed after signing"},
        )
    with pytest.raises(SignedNoteError):
        session_note_sign(actor=therapist, note=signed)
    assert SessionNote.objects.get(pk=draft.pk).sections == DAP


def test_an_empty_note_cannot_be_signed(therapist, client_record):
    note = session_note_create(
        actor=therapist, client=client_record, session_date=SESSION_DAY, sections={}
    )
    with pytest.raises(ValidationError):
        session_note_sign(actor=therapist, note=note)


def test_save_and_sign_is_one_step(therapist, client_record):
    note = session_note_save(
        actor=therapist,
        client=client_record,
        note=None,
        sign=True,
        session_date=SESSION_DAY,
        sections=DAP,
    )
    assert note.status == NoteStatus.SIGNED
    assert SessionNote.objects.get(pk=note.pk).sections == DAP


def test_a_refused_signature_leaves_no_new_draft(therapist, client_record):
    with pytest.raises(ValidationError):
        session_note_save(
            actor=therapist,
            client=client_record,
            note=None,
            sign=True,
            session_date=SESSION_DAY,
            sections={},
        )
    assert not SessionNote.objects.filter(client=client_record).exists()


def test_a_refused_signature_keeps_the_saved_draft_as_it_was(therapist, client_record, draft):
    with pytest.raises(ValidationError):
        session_note_save(
            actor=therapist,
            client=client_record,
            note=draft,
            expected_version=draft.version,
            sign=True,
            sections={},
        )
    kept = SessionNote.objects.get(pk=draft.pk)
    assert (kept.sections, kept.version, kept.status) == (DAP, draft.version, NoteStatus.DRAFT)


def test_a_note_is_saved_under_its_own_client_only(therapist, client_record, draft):
    other = ClientFactory(primary_therapist=therapist)
    with pytest.raises(PermissionDenied):
        session_note_save(actor=therapist, client=other, note=draft, sections=DAP)
    assert SessionNote.objects.get(pk=draft.pk).version == draft.version


def test_addenda_correct_signed_notes_only(therapist, draft):
    with pytest.raises(ValidationError):
        addendum_create(actor=therapist, note=draft, text="Too early")
    signed = session_note_sign(actor=therapist, note=draft)
    addendum = addendum_create(actor=therapist, note=signed, text="  Date of next visit: Dec 1.  ")
    assert addendum.text == "Date of next visit: Dec 1."
    assert addendum.author == therapist
    assert list(signed.addenda.all()) == [addendum]
    with pytest.raises(ValidationError):
        addendum_create(actor=therapist, note=signed, text="   ")


def test_ladder_moves_up_and_down_and_is_audited(therapist, client_record):
    ladder_move_record(
        actor=therapist,
        client=client_record,
        step=LadderStep.ATTENDED_ONLINE,
        reached_on=SESSION_DAY,
        comment="Camera off, stayed the hour",
    )
    back = ladder_move_record(
        actor=therapist,
        client=client_record,
        step=LadderStep.LISTENED_ONLINE,
        reached_on=SESSION_DAY + datetime.timedelta(days=1),
        comment="After a lapse",
    )
    assert client_record.ladder_moves.first() == back
    assert AuditEvent.objects.filter(object_type="clients.laddermove").count() == 2


def test_ladder_refuses_unknown_steps_and_future_dates(therapist, client_record):
    with pytest.raises(ValidationError):
        ladder_move_record(actor=therapist, client=client_record, step=9, reached_on=SESSION_DAY)
    with pytest.raises(ValidationError):
        ladder_move_record(
            actor=therapist,
            client=client_record,
            step=2,
            reached_on=datetime.date.today() + datetime.timedelta(days=3),
        )


def test_consent_cannot_be_recorded_without_an_email_address(therapist, client_record):
    client_record.contact_email = ""
    client_record.save()
    with pytest.raises(ValidationError, match="email address first"):
        email_consent_record(actor=therapist, client=client_record)
    client_record.refresh_from_db()
    assert client_record.email_consent_at is None
    assert not AuditEvent.objects.filter(client=client_record).exists()
