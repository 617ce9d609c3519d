"""Consent to email reminders: recorded by the therapist, withdrawn by either side."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clients.models import Client
from clients.selectors import Need
from clients.services.common import ensure_access
from clients.services.page_links import page_links_revoke
from clients.services.reminders import reminders_cancel
from recovery.models import AuditAction, User
from recovery.services import audit

# What the client is told and agrees to; stored with each consent as it was shown.
DEFAULT_CONSENT_TEXT = (
    "I agree to receive short reminder emails about meetings I choose, and a check-in email "
    "after them. The emails will not name any program or health condition unless I ask. I can "
    "stop them at any time with one click or by telling my therapist."
)


@transaction.atomic
def email_consent_record(
    *,
    actor: User,
    client: Client,
    consent_text: str = DEFAULT_CONSENT_TEXT,
    consented_at: datetime.datetime | None = None,
    request: HttpRequest | None = None,
) -> Client:
    ensure_access(actor, client, Need.CLINICIAN)
    if not client.is_active:
        raise ValidationError("A discharged client gets no reminders.")
    if not client.contact_email:
        raise ValidationError("Add the client's email address first.")
    if not consent_text.strip():
        raise ValidationError({"consent_text": "Record the wording the client agreed to."})
    client.email_consent_at = consented_at or timezone.now()
    client.email_consent_recorded_by = actor
    client.email_consent_text = consent_text.strip()
    client.email_consent_withdrawn_at = None
    client.email_consent_withdrawn_by_client = False
    client.save(
        update_fields=[
            "email_consent_at",
            "email_consent_recorded_by",
            "email_consent_text",
            "email_consent_withdrawn_at",
            "email_consent_withdrawn_by_client",
            "updated_at",
        ]
    )
    audit(action=AuditAction.UPDATE, actor=actor, client=client, request=request)
    return client


@transaction.atomic
def email_consent_withdraw(
    *,
    client: Client,
    actor: User | None = None,
    by_client: bool = False,
    request: HttpRequest | None = None,
) -> Client:
    """Stop every reminder to this client, and end the links to their page the emails
    carried. Idempotent: withdrawing twice changes nothing."""
    if not by_client:
        ensure_access(actor, client, Need.CLINICIAN)
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.email_consent_at is None or client.email_consent_withdrawn_at is not None:
        return client
    client.email_consent_withdrawn_at = timezone.now()
    client.email_consent_withdrawn_by_client = by_client
    client.save(
        update_fields=[
            "email_consent_withdrawn_at",
            "email_consent_withdrawn_by_client",
            "updated_at",
        ]
    )
    reminders_cancel(client=client)
    page_links_revoke(client)
    audit(
        action=AuditAction.UPDATE, actor=actor, client=client, request=request, by_client=by_client
    )
    return client


def reminder_preferences_update(
    *, actor: User, client: Client, request: HttpRequest | None = None, **preferences
) -> Client:
    allowed = set(Client.REMINDER_PREFERENCE_FIELDS)
    if set(preferences) - allowed:
        raise ValidationError(f"Cannot set {sorted(set(preferences) - allowed)} here.")
    ensure_access(actor, client, Need.CLINICIAN)
    for name, value in preferences.items():
        setattr(client, name, value)
    client.full_clean()
    client.save(update_fields=[*preferences, "updated_at"])
    audit(action=AuditAction.UPDATE, actor=actor, client=client, request=request)
    return client
