"""A flush (`manage.py flush`, a transactional test's teardown) empties the database whatever
order it takes the tables in, with the dashboard's summary triggers firing on the way."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.commands import flush as django_flush
from django.db import IntegrityError, connection
from django.utils import timezone

from clients.models import (
    SUMMARY_MODELS,
    Attendance,
    AttendanceStatus,
    Client,
    LadderMove,
    NoteTheme,
    Reminder,
    ReminderKind,
    ReminderStatus,
    ReportedBy,
    ResistanceTheme,
    SessionNote,
)
from tests.factories import (
    AttendanceFactory,
    ClientFactory,
    LadderMoveFactory,
    MeetingPlanFactory,
    SessionNoteFactory,
)


def a_bit_of_everything() -> None:
    client = ClientFactory()
    note = SessionNoteFactory(client=client, lapse_reported=True)
    NoteTheme.objects.create(
        note=note, theme=ResistanceTheme.objects.filter(practice=None).first(), intensity=2
    )
    LadderMoveFactory(client=client, step=2)
    plan = MeetingPlanFactory(client=client)
    now = timezone.now()
    for days, status in ((3, AttendanceStatus.ATTENDED), (10, AttendanceStatus.MISSED)):
        AttendanceFactory(
            plan=plan,
            occurrence_start=now - datetime.timedelta(days=days),
            status=status,
            reported_by=ReportedBy.THERAPIST,
            reported_by_user=plan.created_by,
            reported_at=now,
        )
    Reminder.objects.create(
        plan=plan,
        occurrence_start=now,
        kind=ReminderKind.BEFORE,
        due_at=now,
        status=ReminderStatus.SENT,
        sent_at=now,
    )
    assert all(model.objects.exists() for model in SUMMARY_MODELS)


# The rows the summaries are built from, and what those rows hang on.
SOURCES = (NoteTheme, Attendance, LadderMove, SessionNote, Reminder)


@pytest.fixture
def summaries_first(monkeypatch):
    """The order that broke: every summary table, then the rows they summarise, then the
    clients and practices those rows belong to (the order otherwise follows the hash seed)."""
    names = connection.introspection.django_table_names
    first = [model._meta.db_table for model in (*SUMMARY_MODELS, *SOURCES)]

    def ordered(*args, **kwargs):
        tables = list(names(*args, **kwargs))
        return sorted(tables, key=lambda table: first.index(table) if table in first else 99)

    monkeypatch.setattr(connection.introspection, "django_table_names", ordered)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_flush_empties_the_summaries_whatever_the_order(summaries_first):
    a_bit_of_everything()
    call_command("flush", interactive=False, verbosity=0)
    assert not Client.objects.exists()
    assert not any(model.objects.exists() for model in SUMMARY_MODELS)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL flushes with TRUNCATE")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_djangos_own_flush_fails_in_that_order_on_sqlite(summaries_first):
    a_bit_of_everything()
    with pytest.raises(Exception) as raised:  # CommandError, from the IntegrityError
        django_flush.Command().handle(
            database="default",
            interactive=False,
            verbosity=0,
            reset_sequences=True,
            allow_cascade=False,
            inhibit_post_migrate=True,
        )
    assert isinstance(raised.value.__cause__, IntegrityError)
