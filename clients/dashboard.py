"""The caseload dashboard's figures. Every one is computed in the database (aggregates,
conditional counts, subqueries), so the page runs the same number of queries at 50 clients
and at 5,000. Reads only: names and figures, never note text.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
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
    Window,
)
from django.db.models.functions import Coalesce, Lag
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
    SessionNote,
)
from recovery.models import Role, User

WEEKS = 26
ATTENDANCE_DAYS = 30


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
    # Each move's previous step by a window over the clients' whole ladder history (one
    # sort, not a lookup per move); only then are the period's moves counted.
    moves = (
        LadderMove.objects.filter(client__in=clients)
        .annotate(
            previous=Window(
                Lag("step"),
                partition_by=[F("client_id")],
                order_by=[F("reached_on").asc(), F("created_at").asc(), F("id").asc()],
            )
        )
        .aggregate(
            up=Count(
                "id",
                filter=Q(reached_on__range=(period.start, period.end))
                & (Q(previous__lt=F("step")) | Q(previous__isnull=True)),
            ),
            down=Count(
                "id",
                filter=Q(reached_on__range=(period.start, period.end), previous__gt=F("step")),
            ),
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
    """Week by week for the last 26 weeks: the share of the clients active at the week's end
    (on the caseload by then, not yet discharged) who attended at least one meeting in the 30
    days up to and including its last day. Two queries."""
    ends = [today - datetime.timedelta(weeks=index) for index in range(WEEKS - 1, -1, -1)]
    tz = timezone.get_current_timezone()
    # 30 days counting the week's last day: from midnight 29 days before it.
    month = datetime.timedelta(days=ATTENDANCE_DAYS - 1)

    def local_midnight(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)

    # Bounds as instants, so the database compares indexed values instead of converting
    # every row's time to a local date 26 times; one range in WHERE keeps the scan short.
    windows = [
        (local_midnight(end - month), local_midnight(end + datetime.timedelta(days=1)))
        for end in ends
    ]
    if connection.vendor == "postgresql":
        attended = _attended_by_window_postgresql(clients, ends, windows)
    else:
        attended = _attended_by_window(clients, ends, windows)
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
        attended_count = attended[index]
        rows.append(
            {
                "week_ending": end,
                "active": base,
                "attended": attended_count,
                "share": round(100 * attended_count / base, 1) if base else 0.0,
            }
        )
    return rows


def _attended_by_window(
    clients: QuerySet[Client],
    ends: list[datetime.date],
    windows: list[tuple[datetime.datetime, datetime.datetime]],
) -> list[int]:
    """For each window, the clients active at its end (added before it closed, not discharged
    by its last day) with an attended meeting in it: a conditional distinct count per window.
    """
    # From the clients to their attended meetings in the windows, so "still active at the
    # week's end" (as in the denominator) reads the joined client row itself.
    attendance = "meeting_plans__attendances__occurrence_start"
    counts = clients.filter(
        meeting_plans__attendances__status=AttendanceStatus.ATTENDED,
        **{f"{attendance}__gte": windows[0][0], f"{attendance}__lt": windows[-1][1]},
    ).aggregate(
        **{
            f"w{index}": Count(
                "id",
                distinct=True,
                filter=Q(**{f"{attendance}__gte": start, f"{attendance}__lt": stop})
                & Q(created_at__lt=stop)
                & (Q(discharged_on__isnull=True) | Q(discharged_on__gt=end)),
            )
            for index, (end, (start, stop)) in enumerate(zip(ends, windows, strict=True))
        }
    )
    return [counts[f"w{index}"] for index in range(len(windows))]


def _attended_by_window_postgresql(
    clients: QuerySet[Client],
    ends: list[datetime.date],
    windows: list[tuple[datetime.datetime, datetime.datetime]],
) -> list[int]:
    """The same figures as `_attended_by_window`, a quarter of the time at practice scale.

    The conditional distinct counts test every attendance row against every window and sort
    each window's clients apart (about 110 ms at 5,000 clients). Here each row is placed once:
    `width_bucket` finds, by binary search over the sorted window bounds, the stretch of time
    the row falls in, and every stretch has a precomputed bitmask of the windows covering it.
    The masks are OR-ed per plan (before any join, as the covering index on attendance holds
    the plan), then per client, where two more masks drop the windows the client was not
    active at the end of: those closing before they were added, and those ending on or after
    their discharge. The sum of each bit is that window's count. A test checks it against the
    portable version on random data.
    """
    if len(windows) > 62:
        raise ValueError("a window per bit of a bigint")
    bounds = sorted({bound for window in windows for bound in window})
    # width_bucket(x, bounds) = the number of bounds <= x: row i of `stretches` (1-based in
    # SQL) is [bounds[i - 1], bounds[i]), and its mask has a bit for each window covering it.
    stretches = [
        sum(1 << index for index, (start, stop) in enumerate(windows) if start <= low < stop)
        for low in bounds[:-1]
    ]
    # A client discharged on day D was active at the end of the windows ending before D:
    # width_bucket over the day after each end counts those windows, the first ones.
    after_ends = [end + datetime.timedelta(days=1) for end in ends]
    # A client added at instant T is counted from the first window closing after T:
    # width_bucket over the windows' closing instants counts the ones before, to drop.
    stops = [stop for _start, stop in windows]
    try:
        client_ids, client_params = clients.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:  # clients.none()
        return [0] * len(windows)
    attendance, plan, client = (
        Attendance._meta.db_table,
        Attendance._meta.get_field("plan").related_model._meta.db_table,
        Client._meta.db_table,
    )
    sums = ", ".join(f"coalesce(sum((mask >> {index}) & 1), 0)" for index in range(len(windows)))
    sql = f"""
        WITH per_plan AS (
            SELECT a.plan_id,
                   bit_or((%s::bigint[])[width_bucket(a.occurrence_start, %s::timestamptz[])])
                       AS mask
            FROM {attendance} a
            WHERE a.status = %s AND a.occurrence_start >= %s AND a.occurrence_start < %s
              AND a.plan_id IN (SELECT id FROM {plan} WHERE client_id IN ({client_ids}))
            GROUP BY a.plan_id
        ), per_client AS (
            SELECT bit_or(per_plan.mask)
                   & ((1::bigint << width_bucket(coalesce(c.discharged_on, 'infinity'::date),
                                                 %s::date[])) - 1)
                   & ((1::bigint << %s) - (1::bigint << width_bucket(c.created_at,
                                                                     %s::timestamptz[])))
                       AS mask
            FROM per_plan
            JOIN {plan} p ON p.id = per_plan.plan_id
            JOIN {client} c ON c.id = p.client_id
            GROUP BY c.id
        )
        SELECT {sums} FROM per_client
    """
    params = [
        stretches,
        bounds,
        AttendanceStatus.ATTENDED,
        bounds[0],
        bounds[-1],
        *client_params,
        after_ends,
        len(windows),
        stops,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [int(count) for count in cursor.fetchone()]


def drifting(
    clients: QuerySet[Client], *, now: datetime.datetime, limit: int | None = None
) -> tuple[int, list[dict]]:
    """Active clients who missed planned meetings, flagged a lapse lately, or have had no
    session for a while (thresholds in settings), each with the reasons; longest unseen
    first. Returns (how many in all, the first `limit` of them)."""
    today = timezone.localdate(now)
    missed_since = now - datetime.timedelta(days=settings.DRIFT_MISSED_WINDOW_DAYS)
    # Which clients drift is decided by three uncorrelated subqueries, each read once through
    # an index (PostgreSQL hashes them); the per-client figures shown are then looked up for
    # the rows on the page only.
    missed_recently = Attendance.objects.filter(
        status=AttendanceStatus.MISSED, occurrence_start__gte=missed_since
    )
    missed_often = (
        missed_recently.order_by()
        .values("plan__client")
        .annotate(n=Count("id"))
        .filter(n__gte=settings.DRIFT_MISSED_MEETINGS)
        .values("plan__client")
    )
    lapse = SessionNote.objects.filter(
        lapse_reported=True,
        session_date__gte=today - datetime.timedelta(days=settings.DRIFT_LAPSE_DAYS),
    )
    quiet_since = today - datetime.timedelta(days=settings.DRIFT_NO_SESSION_DAYS)
    seen_lately = SessionNote.objects.filter(session_date__gte=quiet_since).values("client")
    # "No session in 21 days" needs 21 days on the caseload: added on quiet_since or before.
    quiet_added_before = datetime.datetime.combine(
        quiet_since + datetime.timedelta(days=1),
        datetime.time.min,
        tzinfo=timezone.get_current_timezone(),
    )
    long_unseen = ~Q(pk__in=seen_lately) & Q(created_at__lt=quiet_added_before)
    missed = (
        missed_recently.filter(plan__client=OuterRef("pk"))
        .order_by()
        .values("plan__client")
        .annotate(n=Count("id"))
        .values("n")
    )
    last_session = (
        SessionNote.objects.filter(client=OuterRef("pk"))
        .order_by("-session_date")
        .values("session_date")[:1]
    )
    rows = (
        clients.filter(status=ClientStatus.ACTIVE)
        .filter(Q(pk__in=missed_often) | Q(pk__in=lapse.values("client")) | long_unseen)
        .annotate(
            missed=Coalesce(Subquery(missed), Value(0), output_field=IntegerField()),
            lapse=Exists(lapse.filter(client=OuterRef("pk"))),
            last_session=Subquery(last_session),
            # How many drift in all, on every row: the count and the page in one query.
            total=Window(Count("id")),
        )
        .select_related("primary_therapist")
        # What the list shows: no contact details to decrypt, no preferences to carry.
        .only("preferred_name", "created_at", "primary_therapist__full_name")
        .order_by(F("last_session").asc(nulls_first=True), "preferred_name", "pk")
    )
    page = list(rows[:limit] if limit else rows)
    total = page[0].total if page else 0
    found = []
    for client in page:
        reasons = []
        if client.missed >= settings.DRIFT_MISSED_MEETINGS:
            reasons.append(
                f"missed {client.missed} planned meetings"
                f" in {settings.DRIFT_MISSED_WINDOW_DAYS} days"
            )
        if client.lapse:
            reasons.append("lapse flagged")
        unseen = client.last_session is None or client.last_session < quiet_since
        if unseen and client.created_at < quiet_added_before:
            reasons.append(f"no session in {settings.DRIFT_NO_SESSION_DAYS} days")
        found.append({"client": client, "reasons": reasons})
    return total, found


def months_of(period: Period) -> list[datetime.date]:
    """The first day of each calendar month the period touches."""
    months, month = [], period.start.replace(day=1)
    while month <= period.end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def themes(clients: QuerySet[Client], period: Period) -> dict:
    """Each theme voiced in the period: how often, how strongly on average, and how often in
    each month (which barriers grow or fade). One pass: the months are conditional counts."""
    months = months_of(period)
    next_months = [*months[1:], (months[-1] + datetime.timedelta(days=32)).replace(day=1)]
    # NoteTheme carries its note's client and day, so this reads one index, joining no notes.
    rows = list(
        NoteTheme.objects.filter(client__in=clients, session_date__range=(period.start, period.end))
        # By theme, not by name: a practice's own theme may share a curated one's name.
        .values("theme", "theme__name")
        .annotate(
            times=Count("id"),
            intensity=Avg("intensity"),
            **{
                f"month{index}": Count(
                    "id", filter=Q(session_date__gte=first, session_date__lt=after)
                )
                for index, (first, after) in enumerate(zip(months, next_months, strict=True))
            },
        )
        .order_by("-times", "theme__name", "theme")
    )
    for row in rows:
        row["by_month"] = [row.pop(f"month{index}") for index in range(len(months))]
    return {"months": months, "overall": rows}


def reminders_summary(clients: QuerySet[Client], *, now: datetime.datetime) -> dict:
    since = now - datetime.timedelta(days=30)
    sent = Q(status=ReminderStatus.SENT, sent_at__gte=since)
    failed = Q(status=ReminderStatus.FAILED, due_at__gte=since)
    counts = (
        Reminder.objects.of_clients(clients)
        .filter(sent | failed)
        .aggregate(sent=Count("id", filter=sent), failed=Count("id", filter=failed))
    )
    # Answers clients gave by one-click link, even where their therapist later recorded the
    # same meeting (which makes the therapist's record the one that counts for attendance).
    counts["answered"] = Attendance.objects.filter(
        plan__client__in=clients, client_answered_at__gte=since
    ).count()
    return counts


def unsigned_notes(
    clients: QuerySet[Client], *, author: User | None, now: datetime.datetime
) -> list[dict]:
    """Drafts still unsigned 48 hours (settings.UNSIGNED_NOTE_HOURS) after the session day
    ended in the practice's zone, per author: the one who has to sign. With `author`, that
    therapist's drafts only, whoever's caseload the client is on now."""
    cutoff = timezone.localdate(now - datetime.timedelta(hours=settings.UNSIGNED_NOTE_HOURS))
    drafts = SessionNote.objects.filter(
        client__in=clients, status=NoteStatus.DRAFT, session_date__lt=cutoff
    )
    if author is not None:
        drafts = drafts.filter(author=author)
    return list(
        drafts.values("author__full_name")
        .annotate(notes=Count("id"))
        .order_by("-notes", "author__full_name")
    )
