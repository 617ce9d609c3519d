"""Meeting plans and attendance."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clients.models import (
    Attendance,
    AttendanceStatus,
    Client,
    LadderStep,
    MeetingPlan,
    MissReason,
    Recurrence,
    ReportedBy,
)
from clients.selectors import Need
from clients.services.common import ensure_access
from clients.services.reminders import reminders_cancel
from groups.models import AttendanceOption, Meeting
from recovery.models import AuditAction, User
from recovery.services import audit

PLAN_END_BEFORE_START = "The end date must be on or after the start date."


@transaction.atomic
def meeting_plan_create(
    *,
    actor: User,
    client: Client,
    meeting: Meeting,
    recurrence: str,
    starts_on: datetime.date,
    until: datetime.date | None = None,
    why: str = "",
    request: HttpRequest | None = None,
) -> MeetingPlan:
    """The client plans to attend a meeting. Writes rows only: reminders are planned from
    these rows later, so nothing here depends on the broker being up. `why` is what the
    therapist tells the client about this meeting; the client's own page shows it."""
    ensure_access(actor, client, Need.CLINICIAN)
    if not client.is_active:
        raise ValidationError("A discharged client has no new plans.")
    if not meeting.is_active:
        raise ValidationError("That meeting is no longer listed.")
    if recurrence == Recurrence.ONCE:
        until = None
    # The database's check says the same; this says it in words, by the field.
    if until is not None and until < starts_on:
        raise ValidationError({"until": PLAN_END_BEFORE_START})
    plan = MeetingPlan(
        client=client,
        meeting=meeting,
        recurrence=recurrence,
        starts_on=starts_on,
        until=until,
        why=why.strip(),
        created_by=actor,
    )
    plan.full_clean()
    plan.save()
    audit(action=AuditAction.CREATE, actor=actor, client=client, obj=plan, request=request)
    return plan


@transaction.atomic
def meeting_plan_end(
    *, actor: User, plan: MeetingPlan, request: HttpRequest | None = None
) -> MeetingPlan:
    ensure_access(actor, plan.client, Need.CLINICIAN)
    if plan.cancelled_at is None:
        plan.cancelled_at = timezone.now()
        plan.save(update_fields=["cancelled_at"])
        reminders_cancel(plan=plan)
        audit(action=AuditAction.UPDATE, actor=actor, client=plan.client, obj=plan, request=request)
    return plan


# The rung a first attendance of each kind reaches.
ATTENDANCE_LADDER_STEP = {
    AttendanceOption.ONLINE: LadderStep.ATTENDED_ONLINE,
    AttendanceOption.HYBRID: LadderStep.ATTENDED_IN_PERSON,
    AttendanceOption.IN_PERSON: LadderStep.ATTENDED_IN_PERSON,
}


@transaction.atomic
def attendance_record(
    *,
    actor: User,
    plan: MeetingPlan,
    occurrence_start: datetime.datetime,
    status: str,
    reason: str = "",
    note: str = "",
    request: HttpRequest | None = None,
) -> tuple[Attendance, int | None]:
    """Record what happened at one occurrence. Returns the row and, when this is the client's
    first attendance of a kind above their current ladder step, the step to offer."""
    ensure_access(actor, plan.client, Need.CLINICIAN)
    if status not in (AttendanceStatus.ATTENDED, AttendanceStatus.MISSED, AttendanceStatus.SKIPPED):
        raise ValidationError({"status": "Choose attended, missed or skipped."})
    window = datetime.timedelta(minutes=1)
    if occurrence_start not in plan.occurrences(
        occurrence_start - window, occurrence_start + window
    ):
        raise ValidationError("That is not a planned occurrence of this meeting.")
    if status != AttendanceStatus.SKIPPED and occurrence_start > timezone.now():
        raise ValidationError("Record attended or missed once the meeting has started.")
    if reason and reason not in MissReason.values:
        raise ValidationError({"reason": "Unknown reason."})
    attendance, _created = Attendance.objects.update_or_create(
        plan=plan,
        occurrence_start=occurrence_start,
        defaults={
            "status": status,
            "reason": reason if status != AttendanceStatus.ATTENDED else "",
            "note": note.strip()[:500],
            "reported_by": ReportedBy.THERAPIST,
            "reported_by_user": actor,
            "reported_at": timezone.now(),
        },
    )
    audit(
        action=AuditAction.UPDATE, actor=actor, client=plan.client, obj=attendance, request=request
    )
    offer = None
    if status == AttendanceStatus.ATTENDED:
        step = ATTENDANCE_LADDER_STEP[plan.meeting.attendance_option]
        current = plan.client.ladder_moves.values_list("step", flat=True).first() or 0
        earlier = Attendance.objects.filter(
            plan__client=plan.client,
            status=AttendanceStatus.ATTENDED,
            plan__meeting__attendance_option__in=[
                option for option, rung in ATTENDANCE_LADDER_STEP.items() if rung == step
            ],
        ).exclude(pk=attendance.pk)
        if current < step and not earlier.exists():
            offer = step
    return attendance, offer
