"""What the client's own page shows: their meetings of the next two weeks, the past week's
meetings waiting for their answer, and questionnaires waiting for them.

Read for the client of an open visit (clients.services.page_links), never for staff: three
queries whatever the number of plans.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse

from clients.emails import meeting_where, when_text
from clients.models import (
    Attendance,
    AttendanceStatus,
    Client,
    MeetingPlan,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from clients.outcomes import instrument
from clients.services.client_page import ANSWER_WINDOW
from clients.tokens import Purpose, make_token
from groups.models import Meeting

AHEAD = datetime.timedelta(days=14)


@dataclass
class Occurrence:
    plan: MeetingPlan
    start: datetime.datetime
    # "Tuesday 8 December at 7:00 PM", in the client's time zone.
    when: str
    attendance: Attendance | None = None
    where: dict = field(default_factory=dict)

    @property
    def meeting(self) -> Meeting:
        return self.plan.meeting

    @property
    def waiting(self) -> bool:
        return self.attendance is None or self.attendance.status == AttendanceStatus.PLANNED


@dataclass
class WaitingQuestions:
    url: str
    questions: int
    open_until: str


def _when(moment: datetime.datetime, time_zone: str) -> str:
    return when_text(moment, time_zone, r"l j F \a\t g:i A")


def own_page(client: Client, *, now: datetime.datetime) -> dict:
    plans = list(
        MeetingPlan.objects.filter(client=client)
        .filter(Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=now - ANSWER_WINDOW))
        .select_related("meeting")
    )
    upcoming, past = [], []
    for plan in plans:
        if plan.cancelled_at is None and plan.meeting.is_active:
            for start in plan.occurrences(now, now + AHEAD):
                upcoming.append(
                    Occurrence(
                        plan,
                        start,
                        _when(start, client.time_zone),
                        where=meeting_where(plan.meeting),
                    )
                )
        for start in plan.occurrences(now - ANSWER_WINDOW, now):
            if plan.cancelled_at is None or start < plan.cancelled_at:
                past.append(Occurrence(plan, start, _when(start, client.time_zone)))
    answers = {
        (row.plan_id, row.occurrence_start): row
        for row in Attendance.objects.filter(
            plan__in=[plan.pk for plan in plans],
            occurrence_start__gte=now - ANSWER_WINDOW,
            occurrence_start__lt=now,
        )
    }
    for occurrence in past:
        occurrence.attendance = answers.get((occurrence.plan.pk, occurrence.start))
    return {
        "upcoming": sorted(upcoming, key=lambda o: o.start),
        "to_answer": sorted((o for o in past if o.waiting), key=lambda o: o.start),
        "answered": sorted((o for o in past if not o.waiting), key=lambda o: o.start),
        "questions": _waiting_questions(client, now=now),
        "paused_until": (
            when_text(client.reminders_paused_until, client.time_zone, "l j F")
            if client.reminders_paused(now)
            else ""
        ),
    }


def _waiting_questions(client: Client, *, now: datetime.datetime) -> list[WaitingQuestions]:
    """Questionnaires emailed to the client and still open, each with its own link."""
    rows = Reminder.objects.filter(
        kind=ReminderKind.MEASURE,
        status=ReminderStatus.SENT,
        measure_request__client=client,
        measure_request__completed_at__isnull=True,
        measure_request__cancelled_at__isnull=True,
        measure_request__expires_at__gt=now,
    ).select_related("measure_request")
    return [
        WaitingQuestions(
            url=reverse("responses:measure", args=[make_token(Purpose.MEASURE, row.pk)]),
            questions=len(instrument(row.measure_request.instrument).items),
            open_until=when_text(row.measure_request.expires_at, client.time_zone, "l j F"),
        )
        for row in rows.order_by("measure_request__expires_at")
    ]
