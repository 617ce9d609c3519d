"""On PostgreSQL, production's database: the raw rows hold no plaintext of encrypted fields."""

import pytest
from django.db import connection

from clients.models import Addendum, NoteStatus, SessionNote
from tests.factories import ClientFactory, SessionNoteFactory

SECRETS = {
    "section": "Relapsed on oxycodone after the funeral",
    "next_steps": "Phone the Tuesday NA sponsor",
    "addendum": "Overdose history disclosed late",
    "email": "jordan.private@example.net",
    "notes": "Works as a nurse; fears the licensing board",
}
# A telling word of each: not even part of a value may show.
WORDS = ["oxycodone", "funeral", "sponsor", "Overdose", "jordan.private", "licensing"]


@pytest.fixture(autouse=True)
def _postgresql_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("reads raw rows on PostgreSQL; set DATABASE_URL=postgres://...")


def raw_row(table: str, pk: int) -> str:
    """Every column of the row as PostgreSQL returns it, as one string."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT row_to_json(t)::text FROM {table} AS t WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_no_plaintext_in_the_raw_rows(therapist):
    client = ClientFactory(
        primary_therapist=therapist, contact_email=SECRETS["email"], notes=SECRETS["notes"]
    )
    note = SessionNoteFactory(
        client=client,
        sections={"data": SECRETS["section"], "assessment": "", "plan": ""},
        next_steps=SECRETS["next_steps"],
    )
    SessionNote.objects.filter(pk=note.pk).update(
        status=NoteStatus.SIGNED, signed_at=note.created_at, signed_by=therapist
    )
    addendum = Addendum.objects.create(note=note, author=therapist, text=SECRETS["addendum"])

    stored = " ".join(
        [
            raw_row("clients_client", client.pk),
            raw_row("clients_sessionnote", note.pk),
            raw_row("clients_addendum", addendum.pk),
        ]
    )
    for fragment in [*SECRETS.values(), *WORDS]:
        assert fragment not in stored
    # And through the ORM every value reads back.
    assert SessionNote.objects.get(pk=note.pk).sections["data"] == SECRETS["section"]
