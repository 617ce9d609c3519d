"""Who may see a client: the one accessor every view reaches a client through, and a
client's own rows by id (a note, a plan, a measure), reached only through the client."""

import enum

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from clients.models import (
    Client,
    MeetingPlan,
    OutcomeMeasure,
    SessionNote,
)
from recovery.models import Role, User


class Need(enum.Enum):
    """What a person needs to be to the client, beyond seeing them, for a page or a write."""

    SEE = "see"  # the client is in their caseload or their practice (clients.visible_to)
    CLINICIAN = "clinician"  # the client's own therapist: notes, measures, plans, consent
    ADMIN = "admin"  # the practice admin: exports, disclosures, erasure, deletion


def get_client_for_user(user: User, pk: int | str, *, need: Need = Need.SEE) -> Client:
    """The client with this id if the user may see it and is what `need` asks; 404 otherwise,
    never 403.

    A 404 does not tell an outsider that the record exists. A malformed id is a 404 too.
    """
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such client.") from None
    client = get_object_or_404(
        Client.objects.visible_to(user).select_related("primary_therapist", "practice"), pk=pk
    )
    if need is Need.CLINICIAN and client.primary_therapist_id != user.pk:
        raise Http404("Open to the client's therapist only.")
    if need is Need.ADMIN and user.role != Role.ADMIN:
        raise Http404("Record exports, erasure and deletion are for a practice admin.")
    return client


def _one(rows: QuerySet, pk: int | str, what: str):
    """The row with this id among a client's rows, or 404 (a malformed id too)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404(f"No such {what}.") from None
    return get_object_or_404(rows, pk=pk)


def note_of_client(client: Client, pk: int | str) -> SessionNote:
    return _one(client.session_notes.select_related("author"), pk, "note")


def plan_of_client(client: Client, pk: int | str) -> MeetingPlan:
    return _one(client.meeting_plans.select_related("client", "meeting"), pk, "plan")


def measure_of_client(client: Client, pk: int | str) -> OutcomeMeasure:
    return _one(client.outcomes.select_related("entered_by"), pk, "measure")
