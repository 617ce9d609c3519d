"""The dashboard's summaries, kept by database triggers, against their source rows: after
single saves, bulk inserts, queryset updates and deletes, a draft's day moving, a ladder move
back-dated, reminders going out and failing, a client erased. Computed here in Python from
the source rows, the plain way, and compared whole."""

import datetime
import random
from collections import defaultdict

import pytest
from django.db import connection

from clients.models import (
    SUMMARY_MODELS,
    Attendance,
    AttendanceStatus,
    Client,
    ClientStatus,
    DashboardAttendanceSpell,
    DashboardClientNotes,
    DashboardLadderMove,
    DashboardMissedMeeting,
    DashboardReminderHour,
    DashboardThemeDay,
    LadderMove,
    MeasureRequest,
    NoteTheme,
    Reminder,
    ReminderKind,
    ReminderStatus,
    ReportedBy,
    ResistanceTheme,
    SessionNote,
)
from clients.services.records import client_delete, client_restrict
from tests.factories import (
    ClientFactory,
    LadderMoveFactory,
    MeetingFactory,
    MeetingPlanFactory,
    NoteThemeFactory,
    PracticeFactory,
    SessionNoteFactory,
    UserFactory,
)

NOW = datetime.datetime(2026, 11, 27, 17, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def expected_theme_days() -> dict:
    sums = defaultdict(lambda: [0, 0])
    for row in NoteTheme.objects.select_related("client"):
        cell = sums[(row.client.practice_id, row.theme_id, row.session_date)]
        cell[0] += 1
        cell[1] += row.intensity
    return {key: tuple(value) for key, value in sums.items()}


def stored_theme_days() -> dict:
    return {
        (row.practice_id, row.theme_id, row.session_date): (row.times, row.intensity_sum)
        for row in DashboardThemeDay.objects.all()
        if row.times or row.intensity_sum
    }


def expected_spells() -> set:
    attended = defaultdict(list)
    for row in Attendance.objects.filter(status=AttendanceStatus.ATTENDED).select_related(
        "plan__client"
    ):
        attended[(row.plan.client.practice_id, row.plan.client_id)].append(row.occurrence_start)
    spells = set()
    for (practice_id, client_id), times in attended.items():
        times.sort()
        runs = [[times[0], times[0]]]
        for at in times[1:]:
            if at - runs[-1][1] < DashboardAttendanceSpell.GAP:
                runs[-1][1] = at
            else:
                runs.append([at, at])
        previous = None
        for first, last in runs:
            spells.add((practice_id, client_id, first, last, previous))
            previous = last
    return spells


def stored_spells() -> set:
    return set(
        DashboardAttendanceSpell.objects.values_list(
            "practice_id", "client_id", "first_at", "last_at", "previous_last_at"
        )
    )


def expected_missed() -> set:
    return {
        (row.pk, row.plan.client.practice_id, row.plan.client_id, row.occurrence_start)
        for row in Attendance.objects.filter(status=AttendanceStatus.MISSED).select_related(
            "plan__client"
        )
    }


def stored_missed() -> set:
    return set(
        DashboardMissedMeeting.objects.values_list(
            "attendance_id", "practice_id", "client_id", "occurrence_start"
        )
    )


def expected_moves() -> set:
    moves = defaultdict(list)
    for move in LadderMove.objects.select_related("client"):
        moves[move.client_id].append(move)
    rows = set()
    for client_moves in moves.values():
        client_moves.sort(key=lambda move: (move.reached_on, move.created_at, move.id))
        previous = None
        for index, move in enumerate(client_moves):
            latest = index == len(client_moves) - 1
            rows.add(
                (move.client.practice_id, move.client_id, move.reached_on, move.step)
                + (previous, latest)
            )
            previous = move.step
    return rows


def stored_moves() -> set:
    return set(
        DashboardLadderMove.objects.values_list(
            "practice_id", "client_id", "reached_on", "step", "previous_step", "is_latest"
        )
    )


def expected_client_notes() -> set:
    rows = {}
    for note in SessionNote.objects.select_related("client"):
        key = (note.client_id, note.client.practice_id)
        last, lapse = rows.get(key, (None, None))
        last = max(filter(None, [last, note.session_date]))
        if note.lapse_reported:
            lapse = max(filter(None, [lapse, note.session_date]))
        rows[key] = (last, lapse)
    return {key + value for key, value in rows.items()}


def stored_client_notes() -> set:
    return set(
        DashboardClientNotes.objects.values_list(
            "client_id", "practice_id", "last_session_on", "last_lapse_on"
        )
    )


def expected_reminder_hours() -> dict:
    counts = defaultdict(lambda: [0, 0])
    for reminder in Reminder.objects.select_related("plan__client", "measure_request__client"):
        client = reminder.plan.client if reminder.plan_id else reminder.measure_request.client
        if reminder.status == ReminderStatus.SENT:
            at, column = reminder.sent_at, 0
        elif reminder.status == ReminderStatus.FAILED:
            at, column = reminder.due_at, 1
        else:
            continue
        counts[(client.practice_id, at.replace(minute=0, second=0, microsecond=0))][column] += 1
    return {key: tuple(value) for key, value in counts.items()}


def stored_reminder_hours() -> dict:
    return {
        (row.practice_id, row.hour_start): (row.sent, row.failed)
        for row in DashboardReminderHour.objects.all()
        if row.sent or row.failed
    }


def assert_summaries_match():
    assert stored_theme_days() == expected_theme_days()
    assert stored_spells() == expected_spells()
    assert stored_missed() == expected_missed()
    assert stored_moves() == expected_moves()
    assert stored_client_notes() == expected_client_notes()
    assert stored_reminder_hours() == expected_reminder_hours()


@pytest.fixture
def people(db):
    practices = [PracticeFactory(), PracticeFactory()]
    therapists = [UserFactory(practice=practice) for practice in practices]
    clients = [ClientFactory(primary_therapist=therapists[index % 2]) for index in range(4)]
    return clients


def test_theme_days_follow_every_kind_of_write(people):
    themes = list(ResistanceTheme.objects.filter(practice=None)[:3])
    today = datetime.date(2026, 11, 27)
    notes = [
        SessionNoteFactory(client=client, session_date=today - index * DAY)
        for index, client in enumerate(people * 2)
    ]
    for index, note in enumerate(notes):
        NoteThemeFactory(note=note, theme=themes[index % 3], intensity=1 + index % 3)
    assert stored_theme_days(), "nothing summed"
    assert_summaries_match()
    # Bulk: another theme on every note at once.
    NoteTheme.objects.bulk_create(
        NoteTheme(
            note=note,
            theme=themes[(index + 1) % 3],
            intensity=3,
            client_id=note.client_id,
            session_date=note.session_date,
        )
        for index, note in enumerate(notes)
    )
    assert_summaries_match()
    # A draft's day moves (SessionNote.save carries it to its themes); intensities change.
    notes[0].session_date = today - 40 * DAY
    notes[0].save()
    NoteTheme.objects.filter(theme=themes[0]).update(intensity=1)
    assert_summaries_match()
    # Themes taken off one note, then a whole note with its themes.
    NoteTheme.objects.filter(note=notes[1]).delete()
    SessionNote.objects.filter(pk=notes[2].pk).delete()
    assert_summaries_match()


def test_client_notes_follow_new_moved_lapsed_and_deleted_notes(people):
    today = datetime.date(2026, 11, 27)
    for index, client in enumerate(people):
        for days_ago in (3, 10, 40):
            SessionNoteFactory(
                client=client, session_date=today - days_ago * DAY, lapse_reported=index % 2 == 0
            )
    SessionNote.objects.bulk_create(
        SessionNote(
            client=client,
            author=client.primary_therapist,
            session_date=today + DAY,
            sections={"data": "", "assessment": "", "plan": ""},
        )
        for client in people[:2]
    )
    assert_summaries_match()
    latest = SessionNote.objects.filter(client=people[0]).order_by("-session_date").first()
    latest.session_date = today - 100 * DAY
    latest.lapse_reported = True
    latest.save()
    SessionNote.objects.filter(client=people[1]).update(lapse_reported=False)
    SessionNote.objects.filter(client=people[2], session_date=today - 3 * DAY).delete()
    SessionNote.objects.filter(client=people[3]).delete()
    assert_summaries_match()
    assert not DashboardClientNotes.objects.filter(client=people[3]).exists()


def test_spells_follow_attendance_inserts_status_changes_and_deletes(people):
    rng = random.Random(7)
    meeting = MeetingFactory()
    plans = [MeetingPlanFactory(client=client, meeting=meeting) for client in people * 2]
    rows = []
    for plan in plans:
        days = sorted(rng.sample(range(0, 400), 12))
        for day in days:
            # Gaps of every length, some exactly 29 days (a new spell) or just under.
            rows.append(
                Attendance(
                    plan=plan,
                    occurrence_start=NOW
                    - day * DAY
                    - rng.choice([0, 1, 3600]) * datetime.timedelta(seconds=1),
                    status=rng.choice([AttendanceStatus.ATTENDED] * 3 + [AttendanceStatus.MISSED]),
                    reported_by=ReportedBy.CLIENT,
                    reported_at=NOW,
                )
            )
    # Exactly 29 days and 29 days less a second after an attended meeting.
    for gap in (29 * DAY, 29 * DAY - datetime.timedelta(seconds=1)):
        rows.append(
            Attendance(
                plan=plans[0],
                occurrence_start=NOW + 500 * DAY + gap,
                status=AttendanceStatus.ATTENDED,
                reported_by=ReportedBy.CLIENT,
                reported_at=NOW,
            )
        )
    rows.append(
        Attendance(
            plan=plans[0],
            occurrence_start=NOW + 500 * DAY,
            status=AttendanceStatus.ATTENDED,
            reported_by=ReportedBy.CLIENT,
            reported_at=NOW,
        )
    )
    Attendance.objects.bulk_create(rows)
    assert len(stored_spells()) > len(people), "too few gaps exercised"
    assert stored_missed(), "nothing missed"
    assert_summaries_match()
    # One by one: a missed meeting recorded as attended, and back; a meeting moved.
    some = list(Attendance.objects.order_by("?")[:10])
    for row in some:
        row.status = (
            AttendanceStatus.MISSED
            if row.status == AttendanceStatus.ATTENDED
            else AttendanceStatus.ATTENDED
        )
        row.save()
    assert_summaries_match()
    Attendance.objects.filter(pk=some[0].pk).update(occurrence_start=NOW + 700 * DAY)
    Attendance.objects.filter(plan=plans[1]).update(status=AttendanceStatus.SKIPPED)
    assert_summaries_match()
    Attendance.objects.filter(plan=plans[2], status=AttendanceStatus.ATTENDED)[:1].get().delete()
    Attendance.objects.filter(plan=plans[3]).delete()
    assert_summaries_match()


def test_two_meetings_at_one_instant_share_a_spell(people):
    meeting = MeetingFactory()
    plans = [MeetingPlanFactory(client=people[0], meeting=meeting) for _ in range(2)]
    for plan in plans:
        for at in (NOW, NOW + 40 * DAY):
            Attendance.objects.create(
                plan=plan,
                occurrence_start=at,
                status=AttendanceStatus.ATTENDED,
                reported_by=ReportedBy.CLIENT,
                reported_at=NOW,
            )
    assert stored_spells() == {
        (people[0].practice_id, people[0].pk, NOW, NOW, None),
        (people[0].practice_id, people[0].pk, NOW + 40 * DAY, NOW + 40 * DAY, NOW),
    }


def test_ladder_moves_follow_inserts_backdating_and_deletes(people):
    today = datetime.date(2026, 11, 27)
    for index, client in enumerate(people):
        for step, days_ago in ((1, 100), (3, 50), (2, 10)):
            LadderMoveFactory(
                client=client, step=step + index % 2, reached_on=today - days_ago * DAY
            )
    assert_summaries_match()
    # Two moves on one day: the one recorded later is the latest.
    LadderMoveFactory(client=people[0], step=5, reached_on=today)
    LadderMoveFactory(client=people[0], step=4, reached_on=today)
    # A move back-dated before all others: it becomes the first, the old first gets its step.
    LadderMove.objects.filter(client=people[1], step=4).update(reached_on=today - 500 * DAY)
    assert_summaries_match()
    LadderMove.objects.filter(client=people[2], reached_on=today - 10 * DAY).delete()
    LadderMove.objects.filter(client=people[3]).delete()
    assert_summaries_match()


def test_reminder_hours_follow_sending_failing_and_deleting(people):
    meeting = MeetingFactory()
    plans = [MeetingPlanFactory(client=client, meeting=meeting) for client in people]
    reminders = Reminder.objects.bulk_create(
        Reminder(
            plan=plan,
            occurrence_start=NOW + index * datetime.timedelta(minutes=37),
            kind=ReminderKind.BEFORE,
            due_at=NOW + index * datetime.timedelta(minutes=37) - datetime.timedelta(hours=2),
        )
        for plan in plans
        for index in range(6)
    )
    request = MeasureRequest.objects.create(
        client=people[1],
        instrument="phq9",
        requested_by=people[1].primary_therapist,
        expires_at=NOW + 7 * DAY,
    )
    reminders.append(
        Reminder.objects.create(
            measure_request=request,
            kind=ReminderKind.MEASURE,
            due_at=NOW,
            status="sent",
            sent_at=NOW,
        )
    )
    assert_summaries_match()
    # The dispatcher's way: a conditional update per row, as it claims and marks.
    for index, reminder in enumerate(reminders[:-1]):
        Reminder.objects.filter(pk=reminder.pk).update(
            status=ReminderStatus.SENDING, claimed_at=NOW
        )
        if index % 3 == 0:
            Reminder.objects.filter(pk=reminder.pk).update(
                status=ReminderStatus.FAILED, last_error="550"
            )
        else:
            Reminder.objects.filter(pk=reminder.pk).update(
                status=ReminderStatus.SENT,
                sent_at=reminder.due_at + datetime.timedelta(minutes=index),
            )
    assert stored_reminder_hours(), "nothing summed"
    assert_summaries_match()
    # A failed one retried and sent; a sent one's time corrected; some deleted.
    failed = Reminder.objects.filter(status=ReminderStatus.FAILED).first()
    Reminder.objects.filter(pk=failed.pk).update(status=ReminderStatus.SENT, sent_at=NOW + 3 * DAY)
    sent = Reminder.objects.filter(status=ReminderStatus.SENT).exclude(plan=None).first()
    Reminder.objects.filter(pk=sent.pk).update(sent_at=NOW - 3 * DAY)
    Reminder.objects.filter(plan=plans[2]).delete()
    assert_summaries_match()


def test_erasing_a_client_leaves_no_summary_of_them(people):
    client = people[0]
    note = SessionNoteFactory(client=client)
    NoteThemeFactory(note=note)
    LadderMoveFactory(client=client, step=2)
    plan = MeetingPlanFactory(client=client)
    Attendance.objects.create(
        plan=plan,
        occurrence_start=NOW,
        status=AttendanceStatus.ATTENDED,
        reported_by=ReportedBy.CLIENT,
        reported_at=NOW,
    )
    Reminder.objects.create(
        plan=plan,
        occurrence_start=NOW,
        kind=ReminderKind.BEFORE,
        due_at=NOW,
        status="sent",
        sent_at=NOW,
    )
    Attendance.objects.create(
        plan=plan,
        occurrence_start=NOW - DAY,
        status=AttendanceStatus.MISSED,
        reported_by=ReportedBy.CLIENT,
        reported_at=NOW,
    )
    assert stored_spells() and stored_moves() and stored_theme_days() and stored_client_notes()
    assert stored_missed()
    admin = UserFactory(practice=client.practice, role="admin")
    # Discharged long ago: restricted now, the retention period is already over.
    Client.objects.filter(pk=client.pk).update(
        status=ClientStatus.DISCHARGED, discharged_on=datetime.date(2019, 1, 2)
    )
    client.refresh_from_db()
    client = client_restrict(actor=admin, client=client, requested_on=datetime.date(2026, 11, 27))
    client_delete(actor=admin, client=client)
    for model in SUMMARY_MODELS[1:-1]:
        assert not model.objects.filter(client_id=client.pk).exists(), model
    assert_summaries_match()


def test_the_migration_summed_what_was_already_stored(people):
    # The migration's backfill runs the same SQL as the triggers' rebuilds; here, emptied
    # summaries rebuilt by it come back equal.
    from importlib import import_module

    migration = import_module("clients.migrations.0018_dashboard_summaries")
    note = SessionNoteFactory(client=people[0])
    NoteThemeFactory(note=note, intensity=3)
    LadderMoveFactory(client=people[1], step=3)
    plan = MeetingPlanFactory(client=people[2])
    Attendance.objects.create(
        plan=plan,
        occurrence_start=NOW,
        status=AttendanceStatus.ATTENDED,
        reported_by=ReportedBy.CLIENT,
        reported_at=NOW,
    )
    Attendance.objects.create(
        plan=plan,
        occurrence_start=NOW - DAY,
        status=AttendanceStatus.MISSED,
        reported_by=ReportedBy.CLIENT,
        reported_at=NOW,
    )
    SessionNoteFactory(client=people[3], lapse_reported=True)
    for model in SUMMARY_MODELS:
        model.objects.all().delete()
    with connection.cursor() as cursor:
        for statement in migration.backfill(connection.vendor):
            cursor.execute(statement)
    assert_summaries_match()
    assert stored_spells() and stored_moves() and stored_theme_days() and stored_client_notes()
    assert stored_missed()
