"""What a client does on their own page: answer about a meeting, change how reminders
reach them, pause them, or stop every email.

The client has no account: the visit their email's link opened is the only proof, so each
service takes the visit's client and touches nothing beyond that client. Every change is
audited with the client as the actor and kept as a ClientPageChange in words the therapist
reads on the client's page.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clients.emails import when_text
from clients.models import (
    Attendance,
    Client,
    ClientChangeKind,
    ClientPageChange,
    MeetingPlan,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from clients.services.client_replies import attendance_answer_record
from clients.services.consent import email_consent_withdraw
from recovery.models import AuditAction
from recovery.services import audit

# How far back the page asks "did you go?"; older meetings are the therapist's to record.
ANSWER_WINDOW = datetime.timedelta(days=7)
PAUSE_WEEKS = (1, 2, 3, 4)
# What the client may set on their page (a subset of Client.REMINDER_PREFERENCE_FIELDS:
# the check-in's delay stays the therapist's).
CLIENT_SETTINGS = (
    "reminder_lead_minutes",
    "quiet_hours_start",
    "quiet_hours_end",
    "discreet_mode",
    "checkin_enabled",
)


def lead_time_text(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return "1 day" if days == 1 else f"{days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "1 hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} minutes"


def _setting_text(name: str, value) -> str:
    if name == "reminder_lead_minutes":
        return f"reminder {lead_time_text(value)} before"
    if name in ("quiet_hours_start", "quiet_hours_end"):
        return value.strftime("%H:%M")
    return "on" if value else "off"


SETTING_LABELS = {
    "reminder_lead_minutes": "Reminder",
    "quiet_hours_start": "Quiet hours from",
    "quiet_hours_end": "Quiet hours until",
    "discreet_mode": "Plain emails",
    "checkin_enabled": "Check-ins",
}


def _record(
    client: Client, kind: str, detail: str, request: HttpRequest | None
) -> ClientPageChange:
    change = ClientPageChange.objects.create(client=client, kind=kind, detail=detail[:300])
    audit(action=AuditAction.UPDATE, client=client, obj=change, request=request, by_client=True)
    return change


def client_answer_record(
    *,
    client: Client,
    plan_id: int,
    occurrence_start: datetime.datetime,
    status: str,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Attendance:
    """The client's "I went" / "I couldn't make it" for a meeting of the past week."""
    plan = MeetingPlan.objects.select_related("client", "meeting").filter(pk=plan_id).first()
    now = timezone.now()
    if (
        plan is None
        or plan.client_id != client.pk
        or occurrence_start not in plan.occurrences(now - ANSWER_WINDOW, now)
    ):
        raise ValidationError("We could not find that meeting. It may be too long ago.")
    return attendance_answer_record(
        plan=plan,
        occurrence_start=occurrence_start,
        status=status,
        reason=reason,
        request=request,
    )


@transaction.atomic
def client_settings_update(
    *, client: Client, request: HttpRequest | None = None, **values
) -> ClientPageChange | None:
    """Save the settings the client changed; None when nothing changed."""
    if set(values) - set(CLIENT_SETTINGS):
        raise ValidationError(f"Cannot set {sorted(set(values) - set(CLIENT_SETTINGS))} here.")
    client = Client.objects.select_for_update().get(pk=client.pk)
    changed = [
        name for name in CLIENT_SETTINGS if name in values and values[name] != getattr(client, name)
    ]
    if not changed:
        return None
    before = {name: getattr(client, name) for name in changed}
    for name in changed:
        setattr(client, name, values[name])
    client.full_clean()
    client.save(update_fields=[*changed, "updated_at"])
    detail = "; ".join(
        f"{SETTING_LABELS[name]}: {_setting_text(name, values[name])} "
        f"(was {_setting_text(name, before[name])})"
        for name in changed
    )
    return _record(client, ClientChangeKind.PREFERENCES, detail, request)


@transaction.atomic
def client_reminders_pause(
    *, client: Client, weeks: int, request: HttpRequest | None = None
) -> ClientPageChange:
    """No meeting reminders or check-ins for one to four weeks; questionnaires still come.
    Pausing again sets a new end from now."""
    if weeks not in PAUSE_WEEKS:
        raise ValidationError({"weeks": "Choose one, two, three or four weeks."})
    now = timezone.now()
    until = now + datetime.timedelta(weeks=weeks)
    Client.objects.filter(pk=client.pk).update(reminders_paused_until=until, updated_at=now)
    client.reminders_paused_until = until
    Reminder.objects.filter(
        plan__client=client,
        kind__in=(ReminderKind.BEFORE, ReminderKind.CHECKIN),
        status=ReminderStatus.QUEUED,
        due_at__lt=until,
    ).update(status=ReminderStatus.CANCELLED, last_error="Paused by the client.")
    return _record(
        client,
        ClientChangeKind.PAUSED,
        f"{weeks} week{'s' if weeks > 1 else ''}, until "
        f"{when_text(until, client.time_zone, 'D j M Y')}",
        request,
    )


@transaction.atomic
def client_reminders_resume(
    *, client: Client, request: HttpRequest | None = None
) -> ClientPageChange | None:
    """Reminders again from the next meeting (the planner writes them on its next run)."""
    if not client.reminders_paused(timezone.now()):
        return None
    Client.objects.filter(pk=client.pk).update(
        reminders_paused_until=None, updated_at=timezone.now()
    )
    client.reminders_paused_until = None
    return _record(client, ClientChangeKind.RESUMED, "", request)


def client_emails_stop(*, client: Client, request: HttpRequest | None = None) -> Client:
    """Stop every email, as the unsubscribe link does; this ends the visit too (the page's
    links go with the consent). Idempotent."""
    with transaction.atomic():
        was_on = client.has_email_consent
        client = email_consent_withdraw(client=client, by_client=True, request=request)
        if was_on:
            _record(client, ClientChangeKind.STOPPED, "", request)
    return client
