"""Meetings planned for a client, and what happened at each."""

import datetime
import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from clients.models.clients import Client
from groups.models import Meeting
from recovery.fields import EncryptedTextField


class Recurrence(models.TextChoices):
    ONCE = "once", "One occurrence"
    WEEKLY = "weekly", "Weekly"


class MeetingPlan(models.Model):
    """A client's plan to attend a meeting: once, or weekly until a date."""

    PRACTICE_PATH = "client__practice"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="meeting_plans")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="plans")
    recurrence = models.CharField(
        max_length=8, choices=Recurrence.choices, default=Recurrence.WEEKLY
    )
    starts_on = models.DateField()
    until = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # What the therapist wrote about why this meeting: the client reads it on their page.
    why = EncryptedTextField(blank=True)
    # Kept by the reminder planner (clients.services.reminders.reminders_plan) so that a run
    # reads only the plans it may have something to write for: the occurrences starting
    # before `reminders_planned_through` are planned, as of the client's and the meeting's
    # `updated_at` copied beside it (a change to either plans the plan again). All null
    # until the planner first reads the plan.
    reminders_planned_through = models.DateTimeField(null=True, blank=True, editable=False)
    reminders_client_version = models.DateTimeField(null=True, blank=True, editable=False)
    reminders_meeting_version = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(recurrence__in=Recurrence.values), name="plan_recurrence_valid"
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=F("starts_on")),
                name="plan_until_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(recurrence=Recurrence.ONCE) | Q(until__isnull=True),
                name="plan_once_has_no_until",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} from {self.starts_on:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.cancelled_at is None

    def occurrences(
        self, start: datetime.datetime, end: datetime.datetime
    ) -> list[datetime.datetime]:
        """The planned occurrences (UTC) in [start, end): from `starts_on` through `until`.

        Plan dates are read in the meeting's own time zone, like its start times.
        """
        tz = zoneinfo.ZoneInfo(self.meeting.time_zone)
        first = datetime.datetime.combine(self.starts_on, datetime.time.min, tzinfo=tz)
        if self.recurrence == Recurrence.ONCE:
            # The first occurrence on or after the plan's date, whatever the window.
            only = next(self.meeting.occurrences(first, first + datetime.timedelta(days=8)))
            return [only] if start <= only < end else []
        if self.until:
            end = min(end, datetime.datetime.combine(self.until, datetime.time.max, tzinfo=tz))
        return list(self.meeting.occurrences(max(start, first), end))


class AttendanceStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ATTENDED = "attended", "Attended"
    MISSED = "missed", "Missed"
    SKIPPED = "skipped", "Skipped"


class ReportedBy(models.TextChoices):
    CLIENT = "client", "Client (email link)"
    THERAPIST = "therapist", "Therapist"


class MissReason(models.TextChoices):
    ANXIOUS = "anxious", "Felt anxious"
    SCHEDULE = "schedule", "Schedule"
    TRANSPORT = "transport", "Transport"
    NOT_READY = "not_ready", "Not ready"
    OTHER = "other", "Other"


class Attendance(models.Model):
    """What happened at one occurrence of a planned meeting."""

    PRACTICE_PATH = "plan__client__practice"

    plan = models.ForeignKey(MeetingPlan, on_delete=models.PROTECT, related_name="attendances")
    # The occurrence's start, in UTC (computed in the meeting's own time zone).
    occurrence_start = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=AttendanceStatus.choices, default=AttendanceStatus.PLANNED
    )
    reason = models.CharField(max_length=12, choices=MissReason.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)
    reported_by = models.CharField(max_length=10, choices=ReportedBy.choices, blank=True)
    reported_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reported_at = models.DateTimeField(null=True, blank=True)
    # When the client last answered by a reminder's one-click link. Kept when their therapist
    # then records the same meeting, so the dashboard still counts the answer.
    client_answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurrence_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "occurrence_start"], name="attendance_once_per_occurrence"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AttendanceStatus.values), name="attendance_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=AttendanceStatus.PLANNED)
                | (Q(reported_at__isnull=False) & ~Q(reported_by="")),
                name="attendance_outcome_is_reported",
            ),
            models.CheckConstraint(
                condition=~Q(reported_by=ReportedBy.THERAPIST) | Q(reported_by_user__isnull=False),
                name="attendance_therapist_report_names_user",
            ),
        ]
        indexes = [
            # The dashboard's attendance share (selectors.dashboard.attendance_share) and missed
            # meetings (drifting): attendance by status and time; the plan is included so the
            # index alone answers.
            models.Index(
                fields=["status", "occurrence_start"],
                include=["plan"],
                name="attendance_status_when",
            ),
            # The dashboard's "answered" reminders (selectors.dashboard.reminders_summary):
            # answers clients gave by one-click link, by when.
            models.Index(
                fields=["client_answered_at"],
                condition=Q(client_answered_at__isnull=False),
                name="attendance_client_answers",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.occurrence_start:%Y-%m-%d %H:%M}"
