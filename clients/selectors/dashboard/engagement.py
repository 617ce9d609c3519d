"""The dashboard's figures of engagement: caseloads, the ladder, attendance, who is drifting.
Every one is computed in the database (aggregates, conditional counts, subqueries), so the
page runs the same number of queries at 50 clients and at 5,000. Reads only: names and
figures, never note text.

Most figures read the summaries the database keeps beside the rows they sum (clients.models,
DashboardThemeDay and after: triggers write them in the same transaction as each write to
their rows, so they are never behind the rows). The per-client ones (attendance spells,
missed meetings, ladder moves, each client's note days) serve any set of clients; the
per-practice ones (themes per day, reminders per hour) serve a whole practice, and a
narrower set, such as one therapist's caseload, reads its own clients' rows instead: a
small share of the practice's.
"""

import datetime

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from clients.models import (
    Client,
    ClientStatus,
    DashboardAttendanceSpell,
    DashboardLadderMove,
    DashboardMissedMeeting,
    LadderStep,
)
from clients.selectors.dashboard.scope import (
    ATTENDANCE_DAYS,
    WEEKS,
    Period,
    Scope,
    as_scope,
)
from recovery.models import Role, User


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


def funnel(clients: "QuerySet[Client] | Scope", period: Period) -> dict:
    """Active clients at each ladder step now, and moves up or down in the period. Two
    queries, over DashboardLadderMove: each move with the step before it, the latest flagged.
    """
    scope = as_scope(clients)
    now_counts = dict(
        scope.clients.filter(status=ClientStatus.ACTIVE)
        .annotate(
            latest=FilteredRelation("dashboard_moves", condition=Q(dashboard_moves__is_latest=True))
        )
        .order_by()
        .values_list(Coalesce("latest__step", Value(0), output_field=IntegerField()))
        .annotate(n=Count("id"))
    )
    moves = scope.rows(
        DashboardLadderMove.objects.filter(reached_on__range=(period.start, period.end))
    ).aggregate(
        up=Count("id", filter=Q(previous_step__isnull=True) | Q(previous_step__lt=F("step"))),
        down=Count("id", filter=Q(previous_step__gt=F("step"))),
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


def attendance_share(clients: "QuerySet[Client] | Scope", *, today: datetime.date) -> list[dict]:
    """Week by week for the last 26 weeks: the share of the clients active at the week's end
    (on the caseload by then, not yet discharged) who attended at least one meeting in the 30
    days up to and including its last day. One query."""
    scope = as_scope(clients)
    ends = [today - datetime.timedelta(weeks=index) for index in range(WEEKS - 1, -1, -1)]
    tz = timezone.get_current_timezone()
    # 30 days counting the week's last day: from midnight 29 days before it.
    month = datetime.timedelta(days=ATTENDANCE_DAYS - 1)

    def local_midnight(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)

    # Bounds as instants, so the database compares stored values instead of converting
    # every row's time to a local date 26 times.
    windows = [
        (local_midnight(end - month), local_midnight(end + datetime.timedelta(days=1)))
        for end in ends
    ]

    active, attended = _attendance_by_window(scope, ends, windows)
    rows = []
    for index, end in enumerate(ends):
        base, attended_count = active[index], attended[index]
        rows.append(
            {
                "week_ending": end,
                "active": base,
                "attended": attended_count,
                "share": round(100 * attended_count / base, 1) if base else 0.0,
            }
        )
    return rows


def _attendance_by_window(
    scope: Scope,
    ends: list[datetime.date],
    windows: list[tuple[datetime.datetime, datetime.datetime]],
) -> tuple[list[int], list[int]]:
    """Per window: the clients active at its end (added before it closed, not discharged by
    its last day), and those of them with an attended meeting in it.

    A client attended in a window when one of their spells (DashboardAttendanceSpell)
    overlaps it: no gap inside a spell is as long as a window. Of two spells overlapping one
    window, only the earlier counts: the later one's previous spell ends inside the window.
    As the windows' bounds all rise with the week, each condition holds for a run of windows,
    from the first one to some window or from some window to the last: each spell (and each
    client, for the denominator) is counted for one range of windows [lo, hi), found by
    counting the bounds below its instants. The query returns how many share each range, a
    few hundred rows, spread over the windows here.
    """
    starts = [start for start, _stop in windows]
    stops = [stop for _start, stop in windows]
    # Discharged on day D: active at the end of the windows ending before D.
    after_ends = [end + datetime.timedelta(days=1) for end in ends]
    ops, postgresql = connection.ops, connection.vendor == "postgresql"
    # Filled in the order the placeholders appear in the SQL below, as its pieces are built.
    params: list = []

    def below(column: str, bounds: list, kind: str) -> str:
        """How many of the (rising) bounds are at or below the column's value."""
        if postgresql:
            params.append(bounds)
            return f"width_bucket({column}, %s::{kind}[])"
        adapt = ops.adapt_datefield_value if kind == "date" else ops.adapt_datetimefield_value
        params.extend(adapt(bound) for bound in bounds)
        return "(" + " + ".join(f"({column} >= %s)" for _bound in bounds) + ")"

    greatest, least = ("greatest", "least") if postgresql else ("max", "min")
    try:
        if scope.practice_id is not None:
            spell_scope, spell_params = "s.practice_id = %s", [scope.practice_id]
            client_scope, client_params = "c.practice_id = %s", [scope.practice_id]
        else:
            ids, ids_params = scope.clients.order_by().values("id").query.sql_with_params()
            spell_scope, spell_params = f"c.id IN ({ids})", list(ids_params)
            client_scope, client_params = spell_scope, spell_params
    except EmptyResultSet:  # clients.none()
        return [0] * len(windows), [0] * len(windows)
    spell, client = DashboardAttendanceSpell._meta.db_table, Client._meta.db_table
    spell_lo = (
        f"{greatest}({below('s.first_at', stops, 'timestamptz')},"
        f" {below('c.created_at', stops, 'timestamptz')},"
        f" coalesce({below('s.previous_last_at', starts, 'timestamptz')}, 0))"
    )
    spell_hi = (
        f"{least}({below('s.last_at', starts, 'timestamptz')},"
        f" coalesce({below('c.discharged_on', after_ends, 'date')}, {len(windows)}))"
    )
    params += spell_params + [ops.adapt_datetimefield_value(starts[0])]
    params += [ops.adapt_datetimefield_value(stops[-1])]
    client_lo = below("c.created_at", stops, "timestamptz")
    client_hi = f"coalesce({below('c.discharged_on', after_ends, 'date')}, {len(windows)})"
    params += client_params
    sql = f"""
        SELECT 1, lo, hi, count(*) FROM (
            SELECT {spell_lo} AS lo, {spell_hi} AS hi
            FROM {spell} s JOIN {client} c ON c.id = s.client_id
            WHERE {spell_scope} AND s.last_at >= %s AND s.first_at < %s
        ) spells WHERE lo < hi GROUP BY lo, hi
        UNION ALL
        SELECT 0, lo, hi, count(*) FROM (
            SELECT {client_lo} AS lo, {client_hi} AS hi FROM {client} c WHERE {client_scope}
        ) clients WHERE lo < hi GROUP BY lo, hi
    """
    counts = ([0] * len(windows), [0] * len(windows))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for attended, lo, hi, number in cursor.fetchall():
            for index in range(lo, hi):
                counts[attended][index] += number
    return counts


def drifting(
    clients: "QuerySet[Client] | Scope", *, now: datetime.datetime, limit: int | None = None
) -> tuple[int, list[dict]]:
    """Active clients who missed planned meetings, flagged a lapse lately, or have had no
    session for a while (thresholds in settings), each with the reasons; longest unseen
    first. Returns (how many in all, the first `limit` of them)."""
    scope = as_scope(clients)
    today = timezone.localdate(now)
    missed_since = now - datetime.timedelta(days=settings.DRIFT_MISSED_WINDOW_DAYS)
    # Which clients drift is decided on each active client's row and its DashboardClientNotes
    # (latest session, latest lapse), and one uncorrelated subquery over the copies of missed
    # meetings, one index range (PostgreSQL hashes it); how many each missed is then looked
    # up for the rows on the page only.
    missed_recently = DashboardMissedMeeting.objects.filter(occurrence_start__gte=missed_since)
    missed_often = (
        scope.rows(missed_recently)
        .order_by()
        .values("client")
        .annotate(n=Count("*"))
        .filter(n__gte=settings.DRIFT_MISSED_MEETINGS)
        .values("client")
    )
    lapse_since = today - datetime.timedelta(days=settings.DRIFT_LAPSE_DAYS)
    quiet_since = today - datetime.timedelta(days=settings.DRIFT_NO_SESSION_DAYS)
    # "No session in 21 days" needs 21 days on the caseload: added on quiet_since or before.
    quiet_added_before = datetime.datetime.combine(
        quiet_since + datetime.timedelta(days=1),
        datetime.time.min,
        tzinfo=timezone.get_current_timezone(),
    )
    # No note at all is no summary row: never seen.
    long_unseen = (
        Q(dashboard_notes__isnull=True) | Q(dashboard_notes__last_session_on__lt=quiet_since)
    ) & Q(created_at__lt=quiet_added_before)
    missed = (
        missed_recently.filter(client=OuterRef("pk"))
        .order_by()
        .values("client")
        .annotate(n=Count("*"))
        .values("n")
    )
    lapse = Q(dashboard_notes__last_lapse_on__gte=lapse_since)
    rows = (
        scope.clients.filter(status=ClientStatus.ACTIVE)
        .filter(Q(pk__in=missed_often) | lapse | long_unseen)
        .annotate(
            missed=Coalesce(Subquery(missed), Value(0), output_field=IntegerField()),
            lapse=ExpressionWrapper(lapse, output_field=BooleanField()),
            last_session=F("dashboard_notes__last_session_on"),
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
