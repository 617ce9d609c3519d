"""The caseload dashboard's figures. Every one is computed in the database (aggregates,
conditional counts, subqueries), so the page runs the same number of queries at 50 clients
and at 5,000. Reads only: names and figures, never note text.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from clients.models import (
    Attendance,
    AttendanceStatus,
    Client,
    ClientStatus,
    LadderMove,
    LadderStep,
    NoteStatus,
    NoteTheme,
    Reminder,
    ReminderStatus,
    ReportedBy,
    SessionNote,
)
from recovery.models import Role, User

WEEKS = 26


@dataclass
class Period:
    start: datetime.date
    end: datetime.date


def _latest_step():
    return Subquery(
        LadderMove.objects.filter(client=OuterRef("pk"))
        .order_by("-reached_on", "-created_at", "-id")
        .values("step")[:1]
    )


def active_per_therapist(practice_id: int, therapist: User | None) -> list[dict]:
    therapists = User.objects.filter(practice_id=practice_id, role=Role.THERAPIST)
    if therapist is not None:
        therapists = therapists.filter(pk=therapist.pk)
    return list(
        therapists.annotate(
            active=Count("caseload", filter=Q(caseload__status=ClientStatus.ACTIVE))
        )
        .order_by("full_name")
        .values("full_name", "active")
    )


def funnel(clients: QuerySet[Client], period: Period) -> dict:
    """Active clients at each ladder step now, and moves up or down in the period."""
    now_counts = dict(
        clients.filter(status=ClientStatus.ACTIVE)
        .annotate(step=Coalesce(_latest_step(), Value(0), output_field=IntegerField()))
        .order_by()
        .values_list("step")
        .annotate(n=Count("id"))
    )
    previous = Subquery(
        LadderMove.objects.filter(client=OuterRef("client"))
        .filter(
            Q(reached_on__lt=OuterRef("reached_on"))
            | Q(reached_on=OuterRef("reached_on"), created_at__lt=OuterRef("created_at"))
        )
        .order_by("-reached_on", "-created_at", "-id")
        .values("step")[:1]
    )
    moves = (
        LadderMove.objects.filter(client__in=clients, reached_on__range=(period.start, period.end))
        .annotate(previous=previous)
        .aggregate(
            up=Count("id", filter=Q(previous__lt=F("step")) | Q(previous__isnull=True)),
            down=Count("id", filter=Q(previous__gt=F("step"))),
        )
    )
    steps = [(0, "Not started"), *LadderStep.choices]
    return {
        "rows": [
            {"step": step, "label": label, "clients": now_counts.get(step, 0)}
            for step, label in steps
        ],
        "up": moves["up"],
        "down": moves["down"],
    }


def attendance_share(clients: QuerySet[Client], *, today: datetime.date) -> list[dict]:
    """Week by week for the last 26 weeks: the share of then-active clients who attended at
    least one meeting in the 30 days before the week ended. Two queries."""
    ends = [today - datetime.timedelta(weeks=index) for index in range(WEEKS - 1, -1, -1)]
    tz = timezone.get_current_timezone()
    month = datetime.timedelta(days=30)

    def local_midnight(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)

    # Bounds as instants, so the database compares indexed values instead of converting
    # every row's time to a local date 26 times; one range in WHERE keeps the scan short.
    windows = [
        (local_midnight(end - month), local_midnight(end + datetime.timedelta(days=1)))
        for end in ends
    ]
    attended = Attendance.objects.filter(
        plan__client__in=clients,
        status=AttendanceStatus.ATTENDED,
        occurrence_start__gte=windows[0][0],
        occurrence_start__lt=windows[-1][1],
    ).aggregate(
        **{
            f"w{index}": Count(
                "plan__client",
                distinct=True,
                filter=Q(occurrence_start__gte=start, occurrence_start__lt=stop),
            )
            for index, (start, stop) in enumerate(windows)
        }
    )
    active = clients.aggregate(
        **{
            f"w{index}": Count(
                "id",
                filter=Q(created_at__lt=stop)
                & (Q(discharged_on__isnull=True) | Q(discharged_on__gt=end)),
            )
            for index, (end, (_start, stop)) in enumerate(zip(ends, windows, strict=True))
        }
    )
    rows = []
    for index, end in enumerate(ends):
        base = active[f"w{index}"]
        rows.append(
            {
                "week_ending": end,
                "active": base,
                "attended": attended[f"w{index}"],
                "share": round(100 * attended[f"w{index}"] / base, 1) if base else 0.0,
            }
        )
    return rows


def drifting(
    clients: QuerySet[Client], *, now: datetime.datetime, limit: int | None = None
) -> tuple[int, list[dict]]:
    """Active clients who missed planned meetings, flagged a lapse lately, or have had no
    session for a while (thresholds in settings), each with the reasons; longest unseen
    first. Returns (how many in all, the first `limit` of them)."""
    today = now.date()
    missed_since = now - datetime.timedelta(days=settings.DRIFT_MISSED_WINDOW_DAYS)
    missed = (
        Attendance.objects.filter(
            plan__client=OuterRef("pk"),
            status=AttendanceStatus.MISSED,
            occurrence_start__gte=missed_since,
        )
        .order_by()
        .values("plan__client")
        .annotate(n=Count("id"))
        .values("n")
    )
    lapse = SessionNote.objects.filter(
        client=OuterRef("pk"),
        lapse_reported=True,
        session_date__gte=today - datetime.timedelta(days=settings.DRIFT_LAPSE_DAYS),
    )
    last_session = (
        SessionNote.objects.filter(client=OuterRef("pk"))
        .order_by("-session_date")
        .values("session_date")[:1]
    )
    quiet_since = today - datetime.timedelta(days=settings.DRIFT_NO_SESSION_DAYS)
    rows = (
        clients.filter(status=ClientStatus.ACTIVE)
        .annotate(
            missed=Coalesce(Subquery(missed), Value(0), output_field=IntegerField()),
            lapse=Exists(lapse),
            last_session=Subquery(last_session),
        )
        .filter(
            Q(missed__gte=settings.DRIFT_MISSED_MEETINGS)
            | Q(lapse=True)
            | Q(last_session__lt=quiet_since)
            | Q(last_session__isnull=True)
        )
        .select_related("primary_therapist")
        .order_by(F("last_session").asc(nulls_first=True), "preferred_name")
    )
    total = rows.count()
    found = []
    for client in rows[:limit] if limit else rows:
        reasons = []
        if client.missed >= settings.DRIFT_MISSED_MEETINGS:
            reasons.append(f"missed {client.missed} planned meetings in 30 days")
        if client.lapse:
            reasons.append("lapse flagged")
        if client.last_session is None or client.last_session < quiet_since:
            reasons.append("no session in 21 days")
        found.append({"client": client, "reasons": reasons})
    return total, found


def themes(clients: QuerySet[Client], period: Period) -> dict:
    tagged = NoteTheme.objects.filter(
        note__client__in=clients, note__session_date__range=(period.start, period.end)
    )
    overall = list(
        tagged.values("theme__name")
        .annotate(times=Count("id"), intensity=Avg("intensity"))
        .order_by("-times", "theme__name")
    )
    monthly = list(
        tagged.annotate(month=TruncMonth("note__session_date"))
        .values("month", "theme__name")
        .annotate(times=Count("id"))
        .order_by("month", "theme__name")
    )
    return {"overall": overall, "monthly": monthly}


def reminders_summary(clients: QuerySet[Client], *, now: datetime.datetime) -> dict:
    since = now - datetime.timedelta(days=30)
    counts = Reminder.objects.filter(plan__client__in=clients).aggregate(
        sent=Count("id", filter=Q(status=ReminderStatus.SENT, sent_at__gte=since)),
        failed=Count("id", filter=Q(status=ReminderStatus.FAILED, due_at__gte=since)),
    )
    counts["answered"] = Attendance.objects.filter(
        plan__client__in=clients, reported_by=ReportedBy.CLIENT, reported_at__gte=since
    ).count()
    return counts


def unsigned_notes(clients: QuerySet[Client], *, now: datetime.datetime) -> list[dict]:
    """Drafts still unsigned 48 hours (settings.UNSIGNED_NOTE_HOURS) after the session day."""
    cutoff = (now - datetime.timedelta(hours=settings.UNSIGNED_NOTE_HOURS)).date()
    return list(
        SessionNote.objects.filter(
            client__in=clients, status=NoteStatus.DRAFT, session_date__lt=cutoff
        )
        .values("author__full_name")
        .annotate(notes=Count("id"))
        .order_by("-notes", "author__full_name")
    )
