"""reencrypt_fields: every encrypted value moves to the newest key; nothing else changes."""

import json
import threading
import time
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction

from clients.models import Addendum, Client, NoteStatus, SessionNote
from recovery.fields import encrypted_fields
from tests.factories import ClientFactory, SessionNoteFactory

K1 = Fernet.generate_key().decode()
K2 = Fernet.generate_key().decode()
SECTIONS = {"data": "Talked about drinking after work", "assessment": "Ambivalent", "plan": "SMART"}

# (table, column, pk attribute of the fixture dict) for every encrypted value the fixture writes.
COLUMNS = [
    ("clients_client", "contact_email", "client"),
    ("clients_client", "notes", "client"),
    ("clients_sessionnote", "sections", "note"),
    ("clients_sessionnote", "next_steps", "note"),
    ("clients_addendum", "text", "addendum"),
]


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def run(*args) -> str:
    out = StringIO()
    call_command("reencrypt_fields", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def written_with_k1(settings, therapist):
    """A client, a signed note and its addendum, all written while K1 was the only key."""
    settings.FIELD_ENCRYPTION_KEYS = [K1]
    client = ClientFactory(
        primary_therapist=therapist, contact_email="jordan@example.net", notes="Prefers mornings"
    )
    note = SessionNoteFactory(client=client, sections=SECTIONS, next_steps="Call a sponsor")
    SessionNote.objects.filter(pk=note.pk).update(
        status=NoteStatus.SIGNED, signed_at=note.created_at, signed_by=therapist
    )
    addendum = Addendum.objects.create(note=note, author=therapist, text="Date corrected")
    rows = {"client": client.pk, "note": note.pk, "addendum": addendum.pk}
    return {"rows": rows, "before": {c[:2]: raw(c[0], c[1], rows[c[2]]) for c in COLUMNS}}


def test_finds_every_encrypted_field_through_the_app_registry():
    found = {
        f"{model._meta.label}.{f.name}" for model, fields in encrypted_fields() for f in fields
    }
    assert {
        "clients.Client.contact_email",
        "clients.Client.notes",
        "clients.SessionNote.sections",
        "clients.SessionNote.next_steps",
        "clients.Addendum.text",
    } <= found
    assert "recovery.AuditEvent.user_agent" not in found


def test_rotation_moves_every_value_to_the_new_key(settings, written_with_k1):
    settings.FIELD_ENCRYPTION_KEYS = [K2, K1]
    output = run()

    rows, before = written_with_k1["rows"], written_with_k1["before"]
    new_key = Fernet(K2)
    for table, column, row in COLUMNS:
        stored = raw(table, column, rows[row])
        assert stored != before[table, column], f"{table}.{column} was not rewritten"
        new_key.decrypt(stored.encode())  # K2 alone reads it
    assert json.loads(new_key.decrypt(raw("clients_sessionnote", "sections", rows["note"]))) == (
        SECTIONS
    )
    assert "clients.SessionNote.sections: 1 re-encrypted" in output

    settings.FIELD_ENCRYPTION_KEYS = [K2]  # the old key retired
    client = Client.objects.get(pk=rows["client"])
    assert (client.contact_email, client.notes) == ("jordan@example.net", "Prefers mornings")
    note = SessionNote.objects.get(pk=rows["note"])
    assert (note.sections, note.next_steps) == (SECTIONS, "Call a sponsor")
    assert Addendum.objects.get(pk=rows["addendum"]).text == "Date corrected"


def test_a_signed_note_is_re_encrypted_but_otherwise_untouched(settings, written_with_k1):
    note_pk = written_with_k1["rows"]["note"]
    before = SessionNote.objects.get(pk=note_pk)
    settings.FIELD_ENCRYPTION_KEYS = [K2, K1]
    run()
    after = SessionNote.objects.get(pk=note_pk)
    assert after.is_signed
    assert (after.updated_at, after.version, after.signed_at) == (
        before.updated_at,
        before.version,
        before.signed_at,
    )


def test_running_again_changes_nothing(settings, written_with_k1):
    settings.FIELD_ENCRYPTION_KEYS = [K2, K1]
    run()
    rows = written_with_k1["rows"]
    first = {c[:2]: raw(c[0], c[1], rows[c[2]]) for c in COLUMNS}
    output = run()
    assert {c[:2]: raw(c[0], c[1], rows[c[2]]) for c in COLUMNS} == first
    assert "0 values re-encrypted" in output


def test_dry_run_counts_and_writes_nothing(settings, written_with_k1):
    settings.FIELD_ENCRYPTION_KEYS = [K2, K1]
    output = run("--dry-run")
    rows, before = written_with_k1["rows"], written_with_k1["before"]
    assert {c[:2]: raw(c[0], c[1], rows[c[2]]) for c in COLUMNS} == before
    assert "clients.Client.contact_email: 1 would re-encrypt" in output
    assert "Dry run: 5 values would re-encrypt" in output


def test_small_batches_reach_every_row(settings, therapist):
    settings.FIELD_ENCRYPTION_KEYS = [K1]
    clients = ClientFactory.create_batch(7, primary_therapist=therapist)
    settings.FIELD_ENCRYPTION_KEYS = [K2, K1]
    output = run("--batch-size", "3")
    for client in clients:
        Fernet(K2).decrypt(raw("clients_client", "contact_email", client.pk).encode())
    assert "clients.Client.contact_email: 7 re-encrypted" in output


def test_an_unreadable_value_is_reported_and_left_alone(settings, written_with_k1, therapist):
    stranger = ClientFactory(primary_therapist=therapist)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE clients_client SET contact_email = %s WHERE id = %s",
            [Fernet(Fernet.generate_key()).encrypt(b"x@example.net").decode(), stranger.pk],
        )
    garbage = raw("clients_client", "contact_email", stranger.pk)
    settings.FIELD_ENCRYPTION_KEYS = [K2, K1]

    with pytest.raises(CommandError, match=f"clients.Client.contact_email id {stranger.pk}"):
        run()

    assert raw("clients_client", "contact_email", stranger.pk) == garbage
    # Everything readable was still moved to the new key.
    Fernet(K2).decrypt(raw("clients_sessionnote", "sections", written_with_k1["rows"]["note"]))


def test_a_batch_size_below_one_is_refused(db):
    with pytest.raises(CommandError, match="batch-size"):
        run("--batch-size", "0")


# serialized_rollback: the flush after a transactional test would otherwise leave later tests
# without the migrations' seed rows (see tests/e2e/conftest.py).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
# PostgreSQL only: the run locks each batch (SELECT ... FOR UPDATE); SQLite locks the whole
# database for a write transaction, so nothing can interleave there.
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"
)
def test_an_edit_made_during_the_run_is_not_overwritten(settings, therapist):
    settings.FIELD_ENCRYPTION_KEYS = [K1]
    client = ClientFactory(primary_therapist=therapist, contact_email="old@example.net")
    settings.FIELD_ENCRYPTION_KEYS = [K2, K1]

    def run_in_thread():
        try:
            run()
        finally:
            connections.close_all()

    runner = threading.Thread(target=run_in_thread)
    with transaction.atomic():
        # Someone is editing the client: the row is locked when the run reaches it.
        Client.objects.select_for_update().get(pk=client.pk)
        runner.start()
        deadline = time.monotonic() + 10
        while not waiting_for_a_row_lock():
            assert time.monotonic() < deadline, "the run never waited for the row lock"
            time.sleep(0.05)
        Client.objects.filter(pk=client.pk).update(contact_email="new@example.net")
    runner.join(timeout=30)

    assert Client.objects.get(pk=client.pk).contact_email == "new@example.net"
    Fernet(K2).decrypt(raw("clients_client", "contact_email", client.pk).encode())


def waiting_for_a_row_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0
