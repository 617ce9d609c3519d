"""Who may see a client: the one accessor every view reaches a client through."""

import enum

from django.http import Http404
from django.shortcuts import get_object_or_404

from clients.models import (
    Client,
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
