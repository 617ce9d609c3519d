"""Helpers the client services share."""

from django.core.exceptions import PermissionDenied

from clients.models import Client
from clients.selectors import clients_visible_to
from recovery.models import Role, User


def ensure_clinician_of(actor: User, client: Client) -> None:
    """Only the client's own therapist writes clinical content; scope is checked first."""
    if not clients_visible_to(actor).filter(pk=client.pk).exists():
        raise PermissionDenied("This client is outside your caseload.")
    if actor.role != Role.THERAPIST or client.primary_therapist_id != actor.pk:
        raise PermissionDenied("Only the client's therapist can write clinical records.")
    if client.is_restricted:
        # Kept as it was for the retention period after an erasure request; nothing is added.
        raise PermissionDenied("This record is restricted after an erasure request.")
