"""`manage.py seed_scale`: a new large practice per run, every row inside it.

A second run makes a second practice rather than refusing: measuring a page at two data
sizes is the point of the command (see `seeding/scale.py`).
"""

import datetime
import io
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count, Min

from clients.models import (
    Attendance,
    Client,
    ClientStatus,
    LadderMove,
    MeetingPlan,
    NoteStatus,
    NoteTheme,
    OutcomeMeasure,
    Reminder,
    ReportedBy,
    SessionNote,
)
from clients.outcomes import INSTRUMENTS, score
from recovery.models import Practice, Role, User

NOW = datetime.datetime(2026, 3, 16, 14, 0, tzinfo=datetime.UTC)
SMALL = ["--therapists", "3", "--clients", "20", "--notes-per-client", "5"]
SMALL += ["--attendance-per-client", "6"]


def seed_small(*extra: str) -> str:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("seed_scale", *SMALL, *extra, stdout=out)
    return out.getvalue()


@pytest.fixture
def scale_practice(db) -> Practice:
    seed_small()
    return Practice.objects.get(name="Scale Practice 1")


def test_small_run_creates_the_asked_for_counts(scale_practice):
    staff = User.objects.filter(practice=scale_practice)
    assert staff.filter(role=Role.THERAPIST).count() == 3
    assert staff.filter(role=Role.MANAGER).count() == 1
    clients = Client.objects.filter(practice=scale_practice)
    assert clients.count() == 20
    notes = SessionNote.objects.filter(client__practice=scale_practice)
    assert notes.count() == 20 * 5
    assert Attendance.objects.filter(plan__client__practice=scale_practice).count() == 20 * 6
    assert set(clients.annotate(n=Count("session_notes")).values_list("n", flat=True)) == {5}
    assert LadderMove.objects.filter(client__practice=scale_practice).count() >= 20 * 2
    assert Reminder.objects.filter(plan__client__practice=scale_practice).exists()


def test_every_row_belongs_to_the_new_practice(scale_practice):
    # The only practice in the test database, so "every row" is every row of each table.
    assert Practice.objects.count() == 1
    practice_id = scale_practice.pk
    assert set(Client.objects.values_list("practice", flat=True)) == {practice_id}
    for model in (SessionNote, LadderMove, MeetingPlan):
        assert set(model.objects.values_list("client__practice", flat=True)) == {practice_id}
    assert set(NoteTheme.objects.values_list("note__client__practice", flat=True)) == {practice_id}
    for model in (Attendance, Reminder):
        assert set(model.objects.values_list("plan__client__practice", flat=True)) == {practice_id}
    staff = set(User.objects.filter(practice=scale_practice).values_list("pk", flat=True))
    assert set(Client.objects.values_list("primary_therapist", flat=True)) <= staff
    assert set(SessionNote.objects.values_list("author", flat=True)) <= staff
    assert set(Attendance.objects.values_list("reported_by_user", flat=True)) <= staff


def test_signed_notes_are_signed_by_their_author_and_drafts_are_not(scale_practice):
    signed = SessionNote.objects.filter(status=NoteStatus.SIGNED)
    assert signed.count() > SessionNote.objects.filter(status=NoteStatus.DRAFT).count()
    for note in signed:
        assert note.signed_by_id == note.author_id
        assert note.signed_at is not None and note.signed_at <= NOW
        assert note.sections  # decrypts to one of the fixed documents
    assert not SessionNote.objects.filter(status=NoteStatus.DRAFT, signed_at__isnull=False).exists()


def test_theme_intensities_are_one_to_three_with_at_most_three_themes_a_note(scale_practice):
    assert set(NoteTheme.objects.values_list("intensity", flat=True)) <= {1, 2, 3}
    per_note = SessionNote.objects.annotate(n=Count("note_themes")).values_list("n", flat=True)
    assert max(per_note) <= 3


def test_attendance_is_reported_by_the_therapist_before_now(scale_practice):
    assert set(Attendance.objects.values_list("reported_by", flat=True)) == {ReportedBy.THERAPIST}
    assert not Attendance.objects.filter(occurrence_start__gte=NOW).exists()
    assert not Attendance.objects.filter(reported_at__gt=NOW).exists()
    for client in Client.objects.filter(status=ClientStatus.DISCHARGED):
        assert not client.meeting_plans.filter(until__isnull=True).exists()


def test_running_twice_makes_a_second_separate_practice(scale_practice):
    printed = seed_small()
    second = Practice.objects.get(name="Scale Practice 2")
    assert "Created Scale Practice 2" in printed
    assert Client.objects.filter(practice=scale_practice).count() == 20
    assert Client.objects.filter(practice=second).count() == 20
    assert not User.objects.filter(practice=second, email__contains="scale1").exists()


def test_the_same_seed_gives_the_same_history(db):
    seed_small("--seed", "7")
    seed_small("--seed", "7")
    first, second = Practice.objects.order_by("pk")

    def history(practice: Practice) -> list[tuple]:
        notes = SessionNote.objects.filter(client__practice=practice).order_by("pk")
        return list(notes.values_list("session_date", "status", "lapse_reported"))

    assert history(first) == history(second)


def test_each_client_joined_the_caseload_before_their_first_session(scale_practice):
    clients = Client.objects.filter(practice=scale_practice).annotate(
        first_note=Min("session_notes__session_date"),
        first_move=Min("ladder_moves__reached_on"),
        first_plan=Min("meeting_plans__starts_on"),
    )
    for client in clients:
        added = client.created_at.date()
        assert added < NOW.date() - datetime.timedelta(days=300), "not the time of the insert"
        first = min(client.first_note, client.first_move, client.first_plan)
        assert first - datetime.timedelta(days=22) <= added < first


def test_outcome_measures_are_scored_from_their_answers_in_the_year_of_treatment(db):
    seed_small("--measures-per-client", "8")
    practice = Practice.objects.get(name="Scale Practice 1")
    measures = list(
        OutcomeMeasure.objects.filter(client__practice=practice).select_related("client")
    )

    per_client = Counter(measure.client_id for measure in measures)
    assert len(per_client) == 20 and set(per_client.values()) <= set(range(4, 13))
    assert {measure.instrument for measure in measures} == set(INSTRUMENTS)
    for measure in measures:
        result = score(measure.instrument, measure.responses)
        assert (measure.total, measure.subscales, measure.band, measure.safety_flag) == (
            result.total,
            result.subscales,
            result.band or "",
            bool(result.flags),
        )
        # In the year before the client's discharge, or before today if still in treatment.
        end = measure.client.discharged_on or NOW.date()
        assert end - datetime.timedelta(days=365) <= measure.administered_on <= end
        assert measure.entered_by_id == measure.client.primary_therapist_id


def test_no_measures_asked_for_none_made(db):
    seed_small("--measures-per-client", "0")
    assert not OutcomeMeasure.objects.exists()
