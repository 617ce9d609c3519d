"""Staff join by invitation: a practice admin invites, the person sets a password from a
one-time link, then sets up two-factor sign-in. Nobody is ever handed a password.

The link carries a random token (`secrets.token_urlsafe`); the database keeps only its
SHA-256, so a copy of the database or a backup opens no account. Until the worker has mailed
the link, the token also sits encrypted in `Invitation.outgoing_token`; sending empties it.
A link works once, until INVITATION_MAX_AGE_HOURS have passed, and not after it is revoked
or sent again. Every step is audited.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from groups.places import default_distance_unit
from recovery.mail import describe_mail_error
from recovery.models import (
    AuditAction,
    Invitation,
    InvitationEmail,
    Practice,
    Role,
    User,
    validate_time_zone,
)
from recovery.services import audit

logger = logging.getLogger(__name__)

NO_LONGER_VALID = (
    "This invitation link no longer works: it was used already, withdrawn, or it expired. "
    "Ask your practice admin to send you a new one."
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invitation_link(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('invitation_accept', args=[token])}"


def ensure_practice_admin_of(actor: User, practice: Practice) -> None:
    if not (actor.is_authenticated and actor.is_active and actor.practice_id == practice.pk):
        raise PermissionDenied("This invitation belongs to another practice.")
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only a practice admin can invite staff.")


def _issue(invitation: Invitation) -> None:
    """A fresh token and expiry, and the email to send again."""
    token = secrets.token_urlsafe(32)
    invitation.token_hash = token_hash(token)
    invitation.outgoing_token = token
    invitation.expires_at = timezone.now() + timedelta(hours=settings.INVITATION_MAX_AGE_HOURS)
    invitation.email_status = InvitationEmail.QUEUED
    invitation.email_error = ""
    invitation.email_sent_at = None


def _queue_email(invitation: Invitation) -> None:
    from recovery.tasks import send_invitation  # the task module imports this one

    send_invitation.delay_on_commit(invitation.pk)


def _normalised_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


@transaction.atomic
def invitation_create(
    *,
    actor: User | None,
    practice: Practice,
    email: str,
    full_name: str,
    role: str,
    request: HttpRequest | None = None,
) -> Invitation:
    """Invite someone into `practice`. `actor` None is the operator's `create_practice`.

    The returned invitation's `outgoing_token` holds the raw token, for a link to print.
    """
    if actor is not None:
        ensure_practice_admin_of(actor, practice)
    email = _normalised_email(email)
    full_name = full_name.strip()
    if role not in Role.values:
        raise ValidationError({"role": "Choose therapist, practice manager or practice admin."})
    if not full_name:
        raise ValidationError({"full_name": "Give the person's name."})
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": "Someone with this email address already has an account."})
    earlier = Invitation.objects.select_for_update().open().filter(email=email).first()
    if earlier is not None and earlier.practice_id != practice.pk:
        raise ValidationError(
            {"email": "This address has a pending invitation from another practice."}
        )
    if earlier is not None:
        # Inviting again replaces the earlier link: only the newest one works.
        _revoke(earlier, actor=actor, request=request)
    invitation = Invitation(
        practice=practice, email=email, full_name=full_name, role=role, invited_by=actor
    )
    _issue(invitation)
    invitation.full_clean(exclude=["token_hash", "outgoing_token"])
    invitation.save()
    _queue_email(invitation)
    _audit(
        invitation,
        AuditAction.INVITE,
        actor=actor,
        request=request,
        identifier="" if actor else "create_practice",
    )
    return invitation


def _audit(
    invitation: Invitation,
    action: AuditAction,
    *,
    actor: User | None,
    request: HttpRequest | None,
    identifier: str = "",
) -> None:
    audit(
        action=action,
        actor=actor,
        obj=invitation,
        practice=invitation.practice,
        request=request,
        identifier=identifier,
    )


def _revoke(invitation: Invitation, *, actor: User | None, request: HttpRequest | None) -> None:
    invitation.revoked_at = timezone.now()
    invitation.revoked_by = actor
    invitation.outgoing_token = ""
    invitation.save(update_fields=["revoked_at", "revoked_by", "outgoing_token"])
    _audit(invitation, AuditAction.INVITE_REVOKE, actor=actor, request=request)


def _locked(invitation: Invitation) -> Invitation:
    return Invitation.objects.select_for_update().select_related("practice").get(pk=invitation.pk)


@transaction.atomic
def invitation_revoke(
    *, actor: User, invitation: Invitation, request: HttpRequest | None = None
) -> Invitation:
    ensure_practice_admin_of(actor, invitation.practice)
    invitation = _locked(invitation)
    if invitation.accepted_at:
        raise ValidationError(
            "This invitation was accepted already: deactivate the account instead."
        )
    if not invitation.revoked_at:
        _revoke(invitation, actor=actor, request=request)
    return invitation


@transaction.atomic
def invitation_resend(
    *, actor: User, invitation: Invitation, request: HttpRequest | None = None
) -> Invitation:
    """A new link (the old one stops working) with a fresh expiry, mailed again."""
    ensure_practice_admin_of(actor, invitation.practice)
    invitation = _locked(invitation)
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError("Only a pending invitation can be sent again.")
    _issue(invitation)
    invitation.save()
    _queue_email(invitation)
    _audit(invitation, AuditAction.INVITE, actor=actor, request=request)
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link names, whatever its state; None for a token nobody issued."""
    return (
        Invitation.objects.select_related("practice").filter(token_hash=token_hash(token)).first()
    )


def is_usable(invitation: Invitation | None) -> bool:
    return invitation is not None and invitation.state == "pending"


def new_member(invitation: Invitation) -> User:
    """The account an invitation makes, unsaved: for the password validators to compare with."""
    return User(
        email=invitation.email,
        full_name=invitation.full_name,
        practice=invitation.practice,
        role=invitation.role,
        # Only practice admins reach the Django admin (recovery.admin).
        is_staff=invitation.role == Role.ADMIN,
    )


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, password: str, request: HttpRequest | None = None
) -> User:
    """Create the account with the chosen password. Once only: the row is locked, so two
    submits of the same link cannot make two accounts."""
    invitation = _locked(invitation)
    if not is_usable(invitation):
        raise ValidationError(NO_LONGER_VALID)
    if User.objects.filter(email=invitation.email).exists():
        raise ValidationError("An account with this email address exists already: sign in.")
    user = new_member(invitation)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.outgoing_token = ""
    invitation.save(update_fields=["accepted_at", "accepted_user", "outgoing_token"])
    _audit(invitation, AuditAction.INVITE_ACCEPT, actor=user, request=request)
    return user


@transaction.atomic
def practice_create(
    *, name: str, time_zone: str, sender_name: str, admin_email: str, admin_name: str
) -> Invitation:
    """A new practice and the invitation of its first admin (`manage.py create_practice`)."""
    name = name.strip()
    if not name:
        raise ValidationError("Give the practice a name.")
    validate_time_zone(time_zone)
    if Practice.objects.filter(name__iexact=name).exists():
        raise ValidationError(f"A practice named {name!r} exists already.")
    practice = Practice.objects.create(
        name=name,
        time_zone=time_zone,
        email_sender_name=(sender_name or name).strip(),
        distance_unit=default_distance_unit(time_zone),
    )
    audit(action=AuditAction.CREATE, obj=practice, practice=practice, identifier="create_practice")
    return invitation_create(
        actor=None, practice=practice, email=admin_email, full_name=admin_name, role=Role.ADMIN
    )


# --- The email ---------------------------------------------------------------------------


def invitation_message(invitation: Invitation, token: str) -> EmailMultiAlternatives:
    from email.utils import formataddr, parseaddr

    practice = invitation.practice
    context = {
        "name": invitation.full_name.split(" ")[0] or invitation.full_name,
        "practice": practice.name,
        "role": invitation.get_role_display().lower(),
        "link": invitation_link(token),
        "hours": settings.INVITATION_MAX_AGE_HOURS,
        "expires_at": invitation.expires_at,
        "sender": practice.email_sender_name or practice.name,
    }
    subject = " ".join(render_to_string("emails/invitation_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/invitation.txt", context),
        from_email=formataddr(
            (context["sender"], parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "root@localhost")
        ),
        to=[invitation.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    return message


def invitation_send(*, invitation_id: int) -> str:
    """Mail one queued invitation, at most once: the row is claimed with a conditional UPDATE,
    and a worker that finds it claimed (or sent, or withdrawn) does nothing."""
    claimed = Invitation.objects.filter(
        pk=invitation_id, email_status=InvitationEmail.QUEUED
    ).update(email_status=InvitationEmail.SENDING)
    if not claimed:
        return "not queued"
    invitation = Invitation.objects.select_related("practice").get(pk=invitation_id)
    token, sent_hash = invitation.outgoing_token, invitation.token_hash
    # Only the link that was sent is marked sent: a "send again" meanwhile issued a new one.
    same_link = Invitation.objects.filter(
        pk=invitation_id, token_hash=sent_hash, email_status=InvitationEmail.SENDING
    )
    if not token or invitation.state != "pending":
        same_link.update(
            email_status=InvitationEmail.FAILED,
            email_error="Not sent: the invitation was accepted or withdrawn first.",
        )
        return "not pending"
    try:
        invitation_message(invitation, token).send()
    except Exception as error:
        detail = describe_mail_error(error)[:1000]
        logger.warning("Invitation %s could not be sent: %s", invitation_id, detail)
        same_link.update(email_status=InvitationEmail.FAILED, email_error=detail)
        return "failed"
    same_link.update(
        email_status=InvitationEmail.SENT, email_sent_at=timezone.now(), outgoing_token=""
    )
    return "sent"
