"""Invariants that live in the database and the model layer."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from clients.models import (
    Attendance,
    Client,
    ClientStatus,
    LadderMove,
    MeetingPlan,
    NoteStatus,
    NoteTheme,
    Recurrence,
    Reminder,
    ReminderKind,
    ResistanceTheme,
    SessionNote,
    SignedNoteError,
)
from tests.factories import (
    ClientFactory,
    MeetingPlanFactory,
    NoteThemeFactory,
    SessionNoteFactory,
)

NOW = datetime.datetime(2026, 11, 27, 15, 0, tzinfo=datetime.UTC)


def violates(create) -> None:
    """Assert that `create` breaks a database constraint."""
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


@pytest.fixture
def signed_note(therapist, client_record):
    return SessionNoteFactory(
        client=client_record, status=NoteStatus.SIGNED, signed_at=NOW, signed_by=therapist
    )


def test_a_signed_note_cannot_be_saved_again(signed_note):
    signed_note.sections = {"data": "rewritten", "assessment": "", "plan": ""}
    with pytest.raises(SignedNoteError):
        signed_note.save()
    assert SessionNote.objects.get(pk=signed_note.pk).sections["data"] != "rewritten"


def test_a_signed_note_cannot_be_unsigned_through_the_orm(signed_note):
    signed_note.status = NoteStatus.DRAFT
    signed_note.signed_at = None
    signed_note.signed_by = None
    with pytest.raises(SignedNoteError):
        signed_note.save()


def test_a_signed_note_cannot_be_deleted(signed_note):
    with pytest.raises(SignedNoteError):
        signed_note.delete()


def test_themes_cannot_be_added_to_a_signed_note(signed_note):
    with pytest.raises(SignedNoteError):
        NoteThemeFactory(note=signed_note)


def test_signed_status_needs_a_signature_in_the_database(client_record):
    violates(lambda: SessionNoteFactory(client=client_record, status=NoteStatus.SIGNED))


def test_theme_intensity_is_1_to_3_in_the_database(client_record):
    note = SessionNoteFactory(client=client_record)
    theme = ResistanceTheme.objects.filter(practice=None).first()
    violates(
        lambda: NoteTheme.objects.bulk_create([NoteTheme(note=note, theme=theme, intensity=4)])
    )
    violates(
        lambda: NoteTheme.objects.bulk_create([NoteTheme(note=note, theme=theme, intensity=0)])
    )


def test_a_theme_is_tagged_once_per_note(client_record):
    note = SessionNoteFactory(client=client_record)
    theme = ResistanceTheme.objects.filter(practice=None).first()
    NoteTheme.objects.create(note=note, theme=theme, intensity=1)
    violates(lambda: NoteTheme.objects.create(note=note, theme=theme, intensity=2))


def test_note_duration_has_a_sane_range(client_record):
    violates(lambda: SessionNoteFactory(client=client_record, duration_minutes=0))
    violates(lambda: SessionNoteFactory(client=client_record, duration_minutes=600))


def test_discharged_status_and_date_go_together(therapist):
    violates(lambda: ClientFactory(primary_therapist=therapist, status=ClientStatus.DISCHARGED))
    violates(lambda: ClientFactory(primary_therapist=therapist, discharged_on=NOW.date()))


def test_consent_needs_a_recorder_and_withdrawal_needs_consent(therapist):
    violates(lambda: ClientFactory(primary_therapist=therapist, email_consent_at=NOW))
    violates(lambda: ClientFactory(primary_therapist=therapist, email_consent_withdrawn_at=NOW))
    client = ClientFactory(
        primary_therapist=therapist, email_consent_at=NOW, email_consent_recorded_by=therapist
    )
    assert client.has_email_consent


def test_unknown_stage_of_change_is_refused(therapist):
    violates(lambda: ClientFactory(primary_therapist=therapist, stage_of_change="enlightened"))


def test_ladder_steps_run_from_1_to_8(client_record, therapist):
    for step in (0, 9):
        violates(
            lambda step=step: LadderMove.objects.create(
                client=client_record, step=step, reached_on=NOW.date(), recorded_by=therapist
            )
        )


def test_plan_until_cannot_precede_its_start(client_record):
    violates(
        lambda: MeetingPlanFactory(
            client=client_record, starts_on=NOW.date(), until=NOW.date() - datetime.timedelta(1)
        )
    )


def test_a_one_off_plan_has_no_until(client_record):
    violates(
        lambda: MeetingPlanFactory(
            client=client_record, recurrence=Recurrence.ONCE, until=NOW.date()
        )
    )


def test_one_attendance_row_per_occurrence(client_record):
    plan = MeetingPlanFactory(client=client_record)
    Attendance.objects.create(plan=plan, occurrence_start=NOW)
    violates(lambda: Attendance.objects.create(plan=plan, occurrence_start=NOW))


def test_an_attendance_outcome_says_who_reported_it(client_record):
    plan = MeetingPlanFactory(client=client_record)
    violates(lambda: Attendance.objects.create(plan=plan, occurrence_start=NOW, status="attended"))
    violates(
        lambda: Attendance.objects.create(
            plan=plan,
            occurrence_start=NOW,
            status="attended",
            reported_by="therapist",
            reported_at=NOW,
        )
    )


def test_one_reminder_per_plan_occurrence_and_kind(client_record):
    plan = MeetingPlanFactory(client=client_record)
    Reminder.objects.create(plan=plan, occurrence_start=NOW, kind=ReminderKind.BEFORE, due_at=NOW)
    Reminder.objects.create(plan=plan, occurrence_start=NOW, kind=ReminderKind.CHECKIN, due_at=NOW)
    violates(
        lambda: Reminder.objects.create(
            plan=plan, occurrence_start=NOW, kind=ReminderKind.BEFORE, due_at=NOW
        )
    )


def test_a_sent_reminder_has_a_sent_time(client_record):
    plan = MeetingPlanFactory(client=client_record)
    violates(
        lambda: Reminder.objects.create(
            plan=plan, occurrence_start=NOW, kind="before", due_at=NOW, status="sent"
        )
    )


def test_a_curated_theme_slug_is_unique(practice):
    theme = ResistanceTheme.objects.filter(practice=None).first()
    violates(lambda: ResistanceTheme.objects.create(slug=theme.slug, name="Copy", description="x"))
    # A practice may reuse the slug for a theme of its own.
    ResistanceTheme.objects.create(practice=practice, slug=theme.slug, name="Ours", description="x")


def test_plans_protect_the_meeting_and_client_they_point_at(client_record):
    plan = MeetingPlanFactory(client=client_record)
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        plan.meeting.delete()
    assert MeetingPlan.objects.filter(pk=plan.pk).exists()
    assert Client.objects.filter(pk=client_record.pk).exists()
