"""What a client does with the links in a reminder email: answer, or stop the emails.

The client has no account: the signed token in the link is the only proof, so these
services take the reminder it names and touch nothing beyond that reminder's client.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clients.models import (
    Attendance,
    AttendanceStatus,
    Client,
    MeetingPlan,
    MissReason,
    Reminder,
    ReportedBy,
)
from clients.services.consent import email_consent_withdraw
from recovery.models import AuditAction
from recovery.services import audit

CLIENT_ANSWERS = (AttendanceStatus.ATTENDED, AttendanceStatus.MISSED)


def reminder_answer_record(
    *,
    reminder: Reminder,
    status: str,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Attendance:
    """Record "I went" or "I couldn't make it" for the reminder's occurrence."""
    return attendance_answer_record(
        plan=reminder.plan,
        occurrence_start=reminder.occurrence_start,
        status=status,
        reason=reason,
        request=request,
    )


@transaction.atomic
def attendance_answer_record(
    *,
    plan: MeetingPlan,
    occurrence_start: datetime.datetime,
    status: str,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Attendance:
    """The client's own answer about one occurrence of their plan (from an email's link or
    their page; the caller has made sure the occurrence is the plan's).

    - Repeating the same answer changes nothing (no new reported_at, no audit event).
    - The client may change their own answer: the latest one stands.
    - A therapist's record is never overwritten: they may have heard more in a session
      than a click says. Only the time of the client's answer is kept (the dashboard counts
      answers), the first time they give one.
    - An answer is not an email we send, so it is recorded even after consent to emails
      was withdrawn.
    """
    if plan.client.is_restricted:
        # After an erasure request nothing more is recorded about the client.
        raise ValidationError("This link no longer works.")
    if status not in CLIENT_ANSWERS:
        raise ValidationError({"status": "Choose “I went” or “I couldn't make it”."})
    if reason and reason not in MissReason.values:
        raise ValidationError({"reason": "Choose one of the reasons, or none."})
    if status == AttendanceStatus.ATTENDED:
        reason = ""  # a reason explains a miss, nothing else
    now = timezone.now()
    if occurrence_start > now:
        raise ValidationError("This has not happened yet. Come back after it.")

    answer = {
        "status": status,
        "reason": reason,
        "reported_by": ReportedBy.CLIENT,
        "reported_by_user": None,
        "reported_at": now,
        "client_answered_at": now,
    }
    # get_or_create survives two clicks racing to insert; the lock below orders what follows.
    attendance, created = Attendance.objects.get_or_create(
        plan=plan, occurrence_start=occurrence_start, defaults=answer
    )
    if not created:
        attendance = Attendance.objects.select_for_update().get(pk=attendance.pk)
        if attendance.reported_by == ReportedBy.THERAPIST:
            # The therapist's record stands, but the client did answer: the dashboard counts it.
            if attendance.client_answered_at is not None:
                return attendance
            attendance.client_answered_at = now
            attendance.save(update_fields=["client_answered_at"])
        elif (
            attendance.reported_by == ReportedBy.CLIENT
            and attendance.status == status
            and attendance.reason == reason
        ):
            return attendance
        else:
            for field, value in answer.items():
                setattr(attendance, field, value)
            attendance.save(update_fields=list(answer))
    audit(
        action=AuditAction.UPDATE,
        client=plan.client,
        obj=attendance,
        request=request,
        by_client=True,
    )
    return attendance


def reminder_unsubscribe(*, reminder: Reminder, request: HttpRequest | None = None) -> Client:
    """Stop every reminder email to the reminder's client. Idempotent."""
    return email_consent_withdraw(client=reminder.client, by_client=True, request=request)
