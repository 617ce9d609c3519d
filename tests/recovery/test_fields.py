"""Encrypted fields: no plaintext in the database, and keys can be rotated."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from clients.models import Client, SessionNote
from recovery.fields import _fernet
from tests.factories import SessionNoteFactory


def raw_value(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_note_sections_are_not_stored_in_plaintext(db):
    note = SessionNoteFactory(
        sections={"data": "Spoke about drinking after work", "assessment": "", "plan": ""},
        next_steps="Call sponsor",
    )
    stored = raw_value("clients_sessionnote", "sections", note.pk)
    assert "drinking" not in stored
    assert "Call sponsor" not in raw_value("clients_sessionnote", "next_steps", note.pk)
    assert SessionNote.objects.get(pk=note.pk).sections["data"] == (
        "Spoke about drinking after work"
    )


def test_client_email_is_not_stored_in_plaintext(client_record):
    stored = raw_value("clients_client", "contact_email", client_record.pk)
    assert "@" not in stored
    assert Client.objects.get(pk=client_record.pk).contact_email == client_record.contact_email


def test_an_old_key_still_decrypts_after_rotation(settings, client_record):
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *old_keys]
    _fernet.cache_clear()
    assert Client.objects.get(pk=client_record.pk).contact_email == client_record.contact_email


def test_a_missing_key_fails_loudly_instead_of_returning_garbage(settings, client_record):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured):
        Client.objects.get(pk=client_record.pk)


@pytest.fixture(autouse=True)
def _forget_cached_keys():
    yield
    _fernet.cache_clear()
