"""Backups and a restore drill: a dump of a database with signed notes and reminders, restored
into a fresh database, reads back with the same FIELD_ENCRYPTION_KEY and refuses another.

The restore and the reads run in subprocesses, as an operator runs them: against the restored
database's own DATABASE_URL, with the key they are given.
"""

import io
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from clients.models import (
    NoteTheme,
    Reminder,
    ReminderKind,
    ReminderStatus,
    ResistanceTheme,
    SessionNote,
)
from clients.services.notes import session_note_sign
from tests.factories import ClientFactory, MeetingPlanFactory, SessionNoteFactory

ROOT = Path(__file__).resolve().parents[2]
NOTE_TEXT = "Agreed to try one online meeting, camera off, on Thursday."
READ_BACK = """
import django
django.setup()
from clients.models import Reminder, SessionNote
note = SessionNote.objects.get()
print(note.status, "|", note.sections["data"], "|", Reminder.objects.count())
"""
# The dashboard's summary tables, kept by triggers: a restore loads the rows before it creates
# the triggers (pg_restore's post-data section), so nothing is counted twice.
SUMMARIES = """
import django
django.setup()
from django.db.models import Sum
from clients.models import DashboardClientNotes, DashboardReminderHour, DashboardThemeDay
print(
    DashboardThemeDay.objects.aggregate(total=Sum("times"))["total"],
    DashboardReminderHour.objects.aggregate(total=Sum("sent"))["total"],
    DashboardClientNotes.objects.count(),
)
"""


def run(args: list[str], **env) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    full.update({"DJANGO_SETTINGS_MODULE": "recovery.settings", **env})
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=300
    )


def signed_note_and_reminder(therapist):
    client = ClientFactory(primary_therapist=therapist)
    note = SessionNoteFactory(client=client, sections={"data": NOTE_TEXT})
    session_note_sign(actor=therapist, note=note)
    NoteTheme.objects.create(
        note=note, theme=ResistanceTheme.objects.filter(practice=None).first(), intensity=2
    )
    plan = MeetingPlanFactory(client=client)
    Reminder.objects.create(
        plan=plan,
        occurrence_start=note.created_at,
        kind=ReminderKind.BEFORE,
        due_at=note.created_at,
        status=ReminderStatus.SENT,
        sent_at=note.created_at,
    )


def database_url(name: str) -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{name}"


@pytest.fixture
def fresh_database():
    """An empty PostgreSQL database beside the test one, dropped afterwards whatever happens."""
    # Skipped here, before any connection: on SQLite there may be no PostgreSQL server at all.
    if connection.vendor != "postgresql" or not shutil.which("pg_dump"):
        pytest.skip("PostgreSQL backups need DATABASE_URL on PostgreSQL and pg_dump on PATH")
    import psycopg

    name = f"rb_restore_{secrets.token_hex(4)}"
    admin = database_url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_postgres_backup_restores_into_a_fresh_database_and_reads_back(
    therapist, tmp_path, fresh_database
):
    signed_note_and_reminder(therapist)
    dump = tmp_path / "backup.dump"
    out = io.StringIO()
    call_command("backup_database", output=dump, stdout=out)
    assert f"Backed up to {dump}" in out.getvalue()
    assert dump.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    assert dump.stat().st_mode & 0o777 == 0o600
    # The note's text is not in the dump: only its ciphertext.
    assert NOTE_TEXT.encode() not in dump.read_bytes()

    key = ",".join(settings.FIELD_ENCRYPTION_KEYS)
    target = {"DATABASE_URL": database_url(fresh_database), "FIELD_ENCRYPTION_KEY": key}
    restored = run(["manage.py", "restore_database", str(dump), "--no-input"], **target)
    assert restored.returncode == 0, restored.stderr
    assert "encrypted values are readable with the current keys" in restored.stdout

    read = run(["-c", READ_BACK], **target)
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == f"signed | {NOTE_TEXT} | 1"
    summaries = run(["-c", SUMMARIES], **target)
    assert summaries.returncode == 0, summaries.stderr
    assert summaries.stdout.split() == ["1", "1", "1"]

    # With another key: the check names the problem, and a read fails saying so too.
    wrong = {**target, "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode()}
    checked = run(["manage.py", "check_field_keys"], **wrong)
    assert checked.returncode != 0
    assert "could not be read with FIELD_ENCRYPTION_KEY" in checked.stderr
    assert "encrypted with a different key" in checked.stderr
    read = run(["-c", READ_BACK], **wrong)
    assert read.returncode != 0
    assert "the database was encrypted with another key" in read.stderr

    # A second restore into the now full database is refused, and changes nothing.
    again = run(["manage.py", "restore_database", str(dump), "--no-input"], **target)
    assert again.returncode != 0
    assert "is not empty" in again.stderr
    read = run(["-c", READ_BACK], **target)
    assert read.stdout.strip() == f"signed | {NOTE_TEXT} | 1", read.stderr


def sqlite_env(folder: Path) -> dict[str, str]:
    return {"VAR_DIR": str(folder), "DATABASE_URL": "", "REDIS_URL": ""}


MAKE_NOTE = """
import django
django.setup()
from recovery.models import Practice, Role, User
from clients.models import Client, SessionNote
practice = Practice.objects.create(name="Backup Practice", email_sender_name="Care team")
user = User.objects.create_user("t@example.org", "x" * 20, full_name="T", practice=practice)
client = Client.objects.create(practice=practice, primary_therapist=user, preferred_name="R")
import datetime
SessionNote.objects.create(client=client, author=user, session_date=datetime.date(2026, 12, 1),
                           duration_minutes=50, format="dap", sections={"data": %r})
"""


def test_a_sqlite_backup_round_trips_on_a_laptop(tmp_path):
    laptop, elsewhere = tmp_path / "laptop", tmp_path / "elsewhere"
    assert run(["manage.py", "migrate", "-v", "0"], **sqlite_env(laptop)).returncode == 0
    made = run(["-c", MAKE_NOTE % NOTE_TEXT], **sqlite_env(laptop))
    assert made.returncode == 0, made.stderr
    backup = run(["manage.py", "backup_database"], **sqlite_env(laptop))
    assert backup.returncode == 0, backup.stderr
    (path,) = (laptop / "backups").glob("recovery-*.sqlite3")
    restored = run(
        ["manage.py", "restore_database", str(path), "--no-input"], **sqlite_env(elsewhere)
    )
    assert restored.returncode == 0, restored.stderr
    read = run(
        ["-c", READ_BACK.replace('"|", Reminder.objects.count()', '"|", 0')],
        **sqlite_env(elsewhere),
    )
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == f"draft | {NOTE_TEXT} | 0"


@pytest.mark.django_db
def test_a_missing_backup_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No backup file at"):
        call_command("restore_database", str(tmp_path / "nope.dump"), interactive=False)


@pytest.mark.django_db
def test_restoring_over_a_database_that_has_tables_is_refused(therapist, tmp_path):
    signed_note_and_reminder(therapist)
    backup = tmp_path / "some.dump"
    backup.write_bytes(b"PGDMP")
    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore_database", str(backup), interactive=False)
    note = SessionNote.objects.get()
    assert (note.status, note.sections["data"]) == ("signed", NOTE_TEXT)
    assert Reminder.objects.count() == 1


def test_keep_deletes_only_older_backups_of_its_own_naming(tmp_path):
    # A laptop's file database in a subprocess: SQLite's online backup of the test run's
    # in-memory database, inside the test's open transaction, would wait on itself.
    backups = tmp_path / "backups"
    backups.mkdir()
    names = [f"recovery-2026110{day}T010000Z.sqlite3" for day in range(1, 5)]
    for name in names:
        (backups / name).write_bytes(b"old")
    (backups / "notes.txt").write_text("the operator's own file")
    env = {**sqlite_env(tmp_path / "var"), "BACKUP_DIR": str(backups)}
    assert run(["manage.py", "migrate", "-v", "0"], **env).returncode == 0
    result = run(["manage.py", "backup_database", "--keep", "2"], **env)
    assert result.returncode == 0, result.stderr
    left = sorted(p.name for p in backups.iterdir())
    assert "notes.txt" in left
    assert names[3] in left and not set(names[:3]) & set(left)
    assert len([n for n in left if n.startswith("recovery-")]) == 2


@pytest.mark.django_db
def test_check_field_keys_passes_on_a_readable_database(therapist):
    signed_note_and_reminder(therapist)
    out = io.StringIO()
    call_command("check_field_keys", stdout=out)
    assert "clients.SessionNote.sections: 1 readable" in out.getvalue()


def test_a_missing_or_failing_pg_dump_is_a_clear_error():
    from recovery.management.commands.backup_database import run_tool

    with pytest.raises(CommandError, match="pg_dump_not_here is not installed"):
        run_tool(["pg_dump_not_here", "--version"], env=dict(os.environ))
    failing = [sys.executable, "-c", "import sys; sys.exit('database \"x\" does not exist')"]
    with pytest.raises(CommandError, match='failed: database "x" does not exist'):
        run_tool(failing, env=dict(os.environ))
