"""Helpers the client services share."""

from django.core.exceptions import PermissionDenied

from clients.models import Client
from clients.selectors import Need
from recovery.models import Role, User


def ensure_access(actor: User, client: Client, need: Need = Need.SEE) -> None:
    """The services' one guard, the counterpart of selectors.get_client_for_user: the client
    must be in the actor's view, and the actor what `need` asks. PermissionDenied otherwise,
    with what a form can show.

    - Need.SEE: staff who can see the client (their caseload, or their practice).
    - Need.CLINICIAN: the client's own therapist, who alone writes clinical content, and not
      on a record restricted after an erasure request.
    - Need.ADMIN: the practice admin (exports, disclosures, erasure, deletion).
    """
    if not Client.objects.visible_to(actor).filter(pk=client.pk).exists():
        where = "practice" if need is Need.ADMIN else "caseload"
        raise PermissionDenied(f"This client is outside your {where}.")
    if need is Need.CLINICIAN:
        if actor.role != Role.THERAPIST or client.primary_therapist_id != actor.pk:
            raise PermissionDenied("Only the client's therapist can write clinical records.")
        if client.is_restricted:
            # Kept as it was for the retention period after an erasure request; nothing added.
            raise PermissionDenied("This record is restricted after an erasure request.")
    if need is Need.ADMIN and actor.role != Role.ADMIN:
        raise PermissionDenied("Only a practice admin can do this.")
