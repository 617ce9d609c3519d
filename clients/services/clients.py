"""Clients and their place on the engagement ladder."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clients.models import (
    Client,
    LadderMove,
    LadderStep,
)
from clients.selectors import Need
from clients.services.common import ensure_access
from clients.services.page_links import page_links_revoke
from clients.services.reminders import reminders_cancel
from recovery.models import AuditAction, Role, User
from recovery.services import audit


@transaction.atomic
def ladder_move_record(
    *,
    actor: User,
    client: Client,
    step: int,
    reached_on: datetime.date,
    comment: str = "",
    request: HttpRequest | None = None,
) -> LadderMove:
    """Record where the client now stands on the ladder; moving down is allowed."""
    ensure_access(actor, client, Need.CLINICIAN)
    if step not in LadderStep.values:
        raise ValidationError({"step": "Choose a step of the ladder."})
    if reached_on > timezone.localdate():
        raise ValidationError({"reached_on": "A step cannot be reached in the future."})
    move = LadderMove(
        client=client,
        step=step,
        reached_on=reached_on,
        comment=comment.strip(),
        recorded_by=actor,
    )
    move.full_clean()
    move.save()
    audit(action=AuditAction.CREATE, actor=actor, client=client, obj=move, request=request)
    return move


CLIENT_FIELDS = set(Client.EDITABLE_FIELDS)


def _check_client_fields(actor: User, fields: dict) -> None:
    if set(fields) - CLIENT_FIELDS:
        raise ValidationError(f"Cannot set {sorted(set(fields) - CLIENT_FIELDS)} here.")
    therapist = fields.get("primary_therapist")
    if therapist is not None and (
        therapist.practice_id != actor.practice_id or therapist.role != Role.THERAPIST
    ):
        raise ValidationError({"primary_therapist": "Choose a therapist of your practice."})


@transaction.atomic
def client_create(*, actor: User, request: HttpRequest | None = None, **fields) -> Client:
    """A therapist adds a client to their own caseload; a manager or admin to anyone's."""
    _check_client_fields(actor, fields)
    if actor.role == Role.THERAPIST:
        fields["primary_therapist"] = actor
    elif actor.role not in (Role.MANAGER, Role.ADMIN) or "primary_therapist" not in fields:
        raise PermissionDenied("Choose the client's therapist.")
    client = Client(practice=actor.practice, **fields)
    client.full_clean()
    client.save()
    audit(action=AuditAction.CREATE, actor=actor, client=client, request=request)
    return client


@transaction.atomic
def client_update(
    *, actor: User, client: Client, request: HttpRequest | None = None, **fields
) -> Client:
    ensure_access(actor, client)
    if actor.role == Role.THERAPIST:
        fields.pop("primary_therapist", None)  # reassigning is a manager's decision
    _check_client_fields(actor, fields)
    for name, value in fields.items():
        setattr(client, name, value)
    client.full_clean()
    client.save()
    if not client.is_active:
        reminders_cancel(client=client)  # a discharged client gets no more emails
        page_links_revoke(client)  # nor a way into their page
    audit(action=AuditAction.UPDATE, actor=actor, client=client, request=request)
    return client
