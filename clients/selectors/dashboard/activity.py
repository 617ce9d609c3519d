"""The dashboard's figures of what was voiced and done lately: themes by month, reminders sent
and answered, notes left unsigned. Read as the figures module says (clients.selectors.dashboard)."""

import datetime

from django.conf import settings
from django.db.models import (
    Count,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from clients.models import (
    Attendance,
    Client,
    DashboardReminderHour,
    DashboardThemeDay,
    MeasureRequest,
    MeetingPlan,
    NoteStatus,
    NoteTheme,
    Reminder,
    ReminderStatus,
    SessionNote,
)
from clients.selectors.dashboard.scope import (
    HOUR,
    REMINDER_DAYS,
    Period,
    Scope,
    as_scope,
)
from recovery.models import User


def months_of(period: Period) -> list[datetime.date]:
    """The first day of each calendar month the period touches."""
    months, month = [], period.start.replace(day=1)
    while month <= period.end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def themes(clients: "QuerySet[Client] | Scope", period: Period) -> dict:
    """Each theme voiced in the period: how often, how strongly on average, and how often in
    each month (which barriers grow or fade). One pass: the months are conditional sums."""
    scope = as_scope(clients)
    months = months_of(period)
    next_months = [*months[1:], (months[-1] + datetime.timedelta(days=32)).replace(day=1)]
    in_period = Q(session_date__range=(period.start, period.end))
    if scope.practice_id is not None:
        # A few hundred rows: the practice's themes summed per day.
        rows = DashboardThemeDay.objects.filter(in_period, practice_id=scope.practice_id)
        times, intensity = "times", "intensity_sum"
    else:
        # NoteTheme carries its note's client and day: one index, joining no notes.
        rows = NoteTheme.objects.filter(in_period, client__in=scope.clients)
        times, intensity = None, "intensity"

    def voiced(condition: Q | None = None):
        if times:
            return Coalesce(Sum(times, filter=condition), 0)
        return Count("id", filter=condition)

    rows = list(
        # By theme, not by name: a practice's own theme may share a curated one's name.
        rows.values("theme", "theme__name")
        .annotate(
            voiced=voiced(),
            summed=Sum(intensity),
            **{
                f"month{index}": voiced(Q(session_date__gte=first, session_date__lt=after))
                for index, (first, after) in enumerate(zip(months, next_months, strict=True))
            },
        )
        .filter(voiced__gt=0)
        .order_by("-voiced", "theme__name", "theme")
    )
    for row in rows:
        row["times"] = row.pop("voiced")
        row["intensity"] = row.pop("summed") / row["times"]
        row["by_month"] = [row.pop(f"month{index}") for index in range(len(months))]
    return {"months": months, "overall": rows}


def reminders_summary(clients: "QuerySet[Client] | Scope", *, now: datetime.datetime) -> dict:
    """Reminders sent and failed in the last 30 days, and answers clients gave by link."""
    scope = as_scope(clients)
    since = now - datetime.timedelta(days=REMINDER_DAYS)
    sent = Q(status=ReminderStatus.SENT, sent_at__gte=since)
    failed = Q(status=ReminderStatus.FAILED, due_at__gte=since)
    if scope.practice_id is not None:
        # The first, partial hour from the reminders themselves; every hour after it from
        # the practice's hourly sums.
        hour = since.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)
        edge = hour if hour == since else hour + HOUR
        # The hour's few hundred rows, each one's practice looked up by its plan or request
        # (a scalar subquery, run per row: as a join or EXISTS the database would hash every
        # plan of the practice first).
        practice = Coalesce(
            Subquery(
                MeetingPlan.objects.filter(pk=OuterRef("plan_id"))
                .order_by()
                .values("client__practice")
            ),
            Subquery(
                MeasureRequest.objects.filter(pk=OuterRef("measure_request_id"))
                .order_by()
                .values("client__practice")
            ),
        )
        counts = (
            Reminder.objects.filter((sent & Q(sent_at__lt=edge)) | (failed & Q(due_at__lt=edge)))
            .alias(practice=practice)
            .filter(practice=scope.practice_id)
            .aggregate(sent=Count("id", filter=sent), failed=Count("id", filter=failed))
        )
        hours = DashboardReminderHour.objects.filter(
            practice_id=scope.practice_id, hour_start__gte=edge
        ).aggregate(sent=Coalesce(Sum("sent"), 0), failed=Coalesce(Sum("failed"), 0))
        counts = {key: counts[key] + hours[key] for key in ("sent", "failed")}
    else:
        # A meeting's reminders through its plan, a questionnaire's through its request:
        # apart, each joins from the clients down one index (together, an OR across two
        # outer joins reads every reminder).
        counts = (
            Reminder.objects.filter(plan__client__in=scope.clients)
            .filter(sent | failed)
            .aggregate(sent=Count("id", filter=sent), failed=Count("id", filter=failed))
        )
        questionnaires = (
            Reminder.objects.filter(measure_request__client__in=scope.clients)
            .filter(sent | failed)
            .aggregate(sent=Count("id", filter=sent), failed=Count("id", filter=failed))
        )
        counts = {key: counts[key] + questionnaires[key] for key in ("sent", "failed")}
    # Answers clients gave by one-click link, even where their therapist later recorded the
    # same meeting (which makes the therapist's record the one that counts for attendance).
    counts["answered"] = Attendance.objects.filter(
        plan__client__in=scope.clients, client_answered_at__gte=since
    ).count()
    return counts


def unsigned_notes(
    clients: "QuerySet[Client] | Scope", *, author: User | None, now: datetime.datetime
) -> list[dict]:
    """Drafts still unsigned 48 hours (settings.UNSIGNED_NOTE_HOURS) after the session day
    ended in the practice's zone, per author: the one who has to sign. With `author`, that
    therapist's drafts only, whoever's caseload the client is on now."""
    cutoff = timezone.localdate(now - datetime.timedelta(hours=settings.UNSIGNED_NOTE_HOURS))
    drafts = as_scope(clients).rows(
        SessionNote.objects.filter(status=NoteStatus.DRAFT, session_date__lt=cutoff)
    )
    if author is not None:
        drafts = drafts.filter(author=author)
    return list(
        drafts.values("author__full_name")
        .annotate(notes=Count("id"))
        .order_by("-notes", "author__full_name")
    )
