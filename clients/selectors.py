"""Reads of client data. Every view reaches a client through these, scoped to the user."""

import datetime
import enum
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.templatetags.tz import do_timezone
from django.utils import timezone
from django.utils.formats import date_format

from clients.models import (
    Addendum,
    Attendance,
    AttendanceStatus,
    Client,
    ClientStatus,
    LadderMove,
    MeetingPlan,
    NoteTheme,
    OutcomeMeasure,
    ResistanceTheme,
    SessionNote,
)
from clients.outcomes import INSTRUMENTS
from recovery.models import Role, User

# A staff member named on a page: their name, not their password hash or sign-in history.
UNSHOWN_USER_FIELDS = ("password", "last_login", "date_joined")

# The fields MeetingPlan.occurrences reads, for a plan and its meeting loaded with only().
PLAN_DATES = ("recurrence", "starts_on", "until", "meeting_id")
MEETING_TIMES = ("meeting__day", "meeting__start_time", "meeting__time_zone")


class Need(enum.Enum):
    """What a person needs to be to the client, beyond seeing them, for a page or a write."""

    SEE = "see"  # the client is in their caseload or their practice (clients.visible_to)
    CLINICIAN = "clinician"  # the client's own therapist: notes, measures, plans, consent
    ADMIN = "admin"  # the practice admin: exports, disclosures, erasure, deletion


def get_client_for_user(user: User, pk: int | str, *, need: Need = Need.SEE) -> Client:
    """The client with this id if the user may see it and is what `need` asks; 404 otherwise,
    never 403.

    A 404 does not tell an outsider that the record exists. A malformed id is a 404 too.
    """
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such client.") from None
    client = get_object_or_404(
        Client.objects.visible_to(user).select_related("primary_therapist", "practice"), pk=pk
    )
    if need is Need.CLINICIAN and client.primary_therapist_id != user.pk:
        raise Http404("Open to the client's therapist only.")
    if need is Need.ADMIN and user.role != Role.ADMIN:
        raise Http404("Record exports, erasure and deletion are for a practice admin.")
    return client


def caseload_for_user(user: User, *, include_discharged: bool = False) -> QuerySet[Client]:
    """Visible clients with their current ladder step and last session date annotated.

    Oldest last session first, clients never seen before anyone: that is who is overdue.
    """
    latest_move = LadderMove.objects.filter(client=OuterRef("pk")).order_by(
        "-reached_on", "-created_at", "-id"
    )
    last_note = SessionNote.objects.filter(client=OuterRef("pk")).order_by("-session_date")
    # Contact and notes are not on the list: left in the database, not decrypted for nothing.
    clients = (
        Client.objects.visible_to(user)
        .select_related("primary_therapist")
        .defer(
            "contact_email",
            "notes",
            *(f"primary_therapist__{name}" for name in UNSHOWN_USER_FIELDS),
        )
    )
    if not include_discharged:
        clients = clients.filter(status=ClientStatus.ACTIVE)
    return clients.annotate(
        ladder_step=Subquery(latest_move.values("step")[:1]),
        last_session_on=Subquery(last_note.values("session_date")[:1]),
        safety_flag=latest_phq9_flag(),
    ).order_by(F("last_session_on").asc(nulls_first=True), "preferred_name", "id")


def themes_available_to(client: Client) -> QuerySet[ResistanceTheme]:
    """The curated taxonomy plus the client's practice's own themes."""
    return ResistanceTheme.objects.filter(
        Q(practice__isnull=True) | Q(practice_id=client.practice_id), is_active=True
    )


# "Recent" themes on the caseload: what the client has voiced in the last eight weeks.
RECENT_THEMES_DAYS = 56


def caseload_annotate_page(clients: list[Client], *, now: datetime.datetime) -> list[Client]:
    """Give each client of one caseload page `top_themes` (the two strongest recent themes) and
    `next_meeting` ((plan, start in the client's time zone) or None). Two queries whatever the
    page size."""
    ids = [client.pk for client in clients]
    since = now.date() - datetime.timedelta(days=RECENT_THEMES_DAYS)
    strongest: dict[int, dict[str, tuple[int, datetime.date]]] = defaultdict(dict)
    # The note's client and day are copied onto its themes (and indexed): no join to notes.
    rows = NoteTheme.objects.filter(client_id__in=ids, session_date__gte=since).values_list(
        "client_id", "theme__name", "intensity", "session_date"
    )
    for client_id, name, intensity, day in rows:
        best = strongest[client_id].get(name)
        if best is None or (intensity, day) > best:
            strongest[client_id][name] = (intensity, day)
    # What the dates and the meeting's name need: no "why" to decrypt, no address or notes.
    plans = (
        MeetingPlan.objects.filter(client_id__in=ids, cancelled_at__isnull=True)
        .select_related("meeting")
        .only(*PLAN_DATES, "client_id", "meeting__name", *MEETING_TIMES)
    )
    upcoming: dict[int, tuple[MeetingPlan, datetime.datetime]] = {}
    horizon = now + datetime.timedelta(days=15)
    for plan in plans:
        starts = plan.occurrences(now, horizon)
        if starts and (plan.client_id not in upcoming or starts[0] < upcoming[plan.client_id][1]):
            upcoming[plan.client_id] = (plan, starts[0])
    for client in clients:
        ranked = sorted(strongest[client.pk].items(), key=lambda item: item[1], reverse=True)
        client.top_themes = [(name, intensity) for name, (intensity, _day) in ranked[:2]]
        if client.pk in upcoming:
            plan, start = upcoming[client.pk]
            # In the client's own zone, as the `timezone` filter gives it.
            client.next_meeting = (plan, do_timezone(start, client.time_zone))
        else:
            client.next_meeting = None
    return clients


@dataclass
class TimelineEntry:
    kind: str  # note, addendum, ladder, plan, attendance
    on: datetime.date
    at: datetime.datetime | None
    item: object

    @property
    def sort_key(self) -> tuple:
        return (self.on, self.at or datetime.datetime.min.replace(tzinfo=datetime.UTC))


def client_timeline(client: Client, *, limit: int = 40) -> list[TimelineEntry]:
    """Notes, addenda, ladder moves, plans and reported attendance, newest first.

    Five queries (plus two prefetches) whatever the history's length: each kind's newest
    `limit` rows, merged.
    """
    tz = zoneinfo.ZoneInfo(client.practice.time_zone)
    notes = list(
        client.session_notes.select_related("author")
        .defer(*(f"author__{name}" for name in UNSHOWN_USER_FIELDS))
        .order_by("-session_date", "-id")[:limit]
    )
    _attach_theme_badges(notes)
    entries = [TimelineEntry("note", note.session_date, note.created_at, note) for note in notes]
    entries += [
        TimelineEntry(
            "addendum", addendum.created_at.astimezone(tz).date(), addendum.created_at, addendum
        )
        for addendum in Addendum.objects.filter(note__client=client)
        .select_related("author", "note")
        .order_by("-created_at")[:limit]
    ]
    entries += [
        TimelineEntry("ladder", move.reached_on, move.created_at, move)
        for move in client.ladder_moves.select_related("recorded_by").defer(
            *(f"recorded_by__{name}" for name in UNSHOWN_USER_FIELDS)
        )[:limit]
    ]
    entries += [
        TimelineEntry("plan", plan.starts_on, plan.created_at, plan)
        for plan in client.meeting_plans.select_related("meeting__program").only(
            *PLAN_DATES,
            "client_id",
            "created_at",
            "cancelled_at",
            "meeting__name",
            "meeting__attendance_option",
            "meeting__program__name",
            *MEETING_TIMES,
        )[:limit]
    ]
    entries += [
        TimelineEntry(
            "attendance",
            record.occurrence_start.astimezone(tz).date(),
            record.occurrence_start,
            record,
        )
        for record in Attendance.objects.filter(plan__client=client)
        .exclude(status=AttendanceStatus.PLANNED)
        .select_related("plan__meeting")
        .only(
            "occurrence_start",
            "status",
            "reason",
            "note",
            "reported_by",
            "plan__meeting__name",
            "plan__meeting__time_zone",
        )
        .order_by("-occurrence_start")[:limit]
    ]
    entries.sort(key=lambda entry: entry.sort_key, reverse=True)
    return entries[:limit]


def _attach_theme_badges(notes: list[SessionNote]) -> None:
    """Give each note `theme_badges`, [(theme name, intensity)] in the taxonomy's order: one
    query of plain values for all of them, where a prefetch built two model instances each.
    Strongest first, as NoteTheme's own ordering."""
    badges: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for note_id, name, intensity in (
        NoteTheme.objects.filter(note__in=[note.pk for note in notes])
        .order_by("-intensity", "theme__position", "theme_id")
        .values_list("note_id", "theme__name", "intensity")
    ):
        badges[note_id].append((name, intensity))
    for note in notes:
        note.theme_badges = badges[note.pk]


def theme_intensity_series(client: Client, *, sessions: int = 10) -> dict:
    """Theme intensity over the client's last sessions, oldest first, for a chart and a table:
    {"labels": ["3 Nov 2026", ...], "dates": [ISO dates], "series": [{"theme": name,
    "values": [0-3 per session]}]}.

    A session is a session date: two notes written for one day are one point, each theme at
    the strongest intensity voiced in them. Two queries.
    """
    days = list(
        client.session_notes.order_by("-session_date")
        .values_list("session_date", flat=True)
        .distinct()[:sessions]
    )[::-1]
    column = {day: index for index, day in enumerate(days)}
    series: dict[int, dict] = {}
    for row in (
        NoteTheme.objects.filter(note__client=client, note__session_date__in=days)
        .values("note__session_date", "theme_id", "theme__name", "theme__position")
        .annotate(strongest=Max("intensity"))
        .order_by("theme__position", "theme__name", "theme_id")
    ):
        line = series.setdefault(
            row["theme_id"], {"theme": row["theme__name"], "values": [0] * len(days)}
        )
        line["values"][column[row["note__session_date"]]] = row["strongest"]
    return {
        "labels": [date_format(day, "j M Y") for day in days],
        "dates": [day.isoformat() for day in days],
        "series": list(series.values()),
    }


@dataclass
class Occurrence:
    plan: MeetingPlan
    start: datetime.datetime
    attendance: Attendance | None

    @property
    def is_past(self) -> bool:
        return self.start <= timezone.now()

    @property
    def local_start(self) -> datetime.datetime:
        """The start in the meeting's own time zone, as the meeting's listing gives it (as the
        `timezone` filter gives it: templates' date filters keep that zone)."""
        return do_timezone(self.start, self.plan.meeting.time_zone)


def plan_occurrences(
    client: Client, *, now: datetime.datetime, back_days: int = 21, ahead_days: int = 14
) -> list[Occurrence]:
    """Occurrences of the client's active plans around now, with what was recorded for each.

    Three queries whatever the number of plans: plans, their meetings, their attendance.
    """
    start, end = now - datetime.timedelta(days=back_days), now + datetime.timedelta(days=ahead_days)
    plans = list(
        client.meeting_plans.filter(cancelled_at__isnull=True).select_related("meeting__program")
    )
    recorded = {
        (row.plan_id, row.occurrence_start): row
        for row in Attendance.objects.filter(plan__in=plans, occurrence_start__range=(start, end))
    }
    found = [
        Occurrence(plan, moment, recorded.get((plan.pk, moment)))
        for plan in plans
        for moment in plan.occurrences(start, end)
    ]
    return sorted(found, key=lambda occurrence: occurrence.start)


# --- Outcome measures ---------------------------------------------------------------------


def latest_phq9_flag() -> Subquery:
    """Whether the client's latest PHQ-9 raised the safety flag (item 9 above 0), for
    annotating clients: a later PHQ-9 without it clears the flag from the caseload."""
    latest = OutcomeMeasure.objects.filter(
        client=OuterRef("pk"), instrument="phq9", is_latest=True
    ).values("safety_flag")
    return Subquery(latest[:1])


def outcome_charts(client: Client) -> list[dict]:
    """One chart per instrument the client has taken, in the registry's order, oldest first:
    the figures the code computed (never the answers), each series' change since the first
    measure, and what the chart shades or marks. One query."""
    rows = defaultdict(list)
    for row in (
        OutcomeMeasure.objects.filter(client=client)
        .order_by("administered_on", "id")
        .values("id", "instrument", "administered_on", "total", "subscales", "band", "source")
        .annotate(flag=F("safety_flag"))
    ):
        rows[row["instrument"]].append(row)
    charts = []
    for key, spec in INSTRUMENTS.items():
        measures = rows.get(key)
        if not measures:
            continue
        series = []
        for line in spec.series:
            values = [
                measure["total"] if line.key == "total" else measure["subscales"].get(line.key)
                for measure in measures
            ]
            change = values[-1] - values[0] if len(values) > 1 and None not in values else None
            series.append(
                {
                    "key": line.key,
                    "label": line.label,
                    "values": values,
                    "change": change,
                    "better": None if not change else (change > 0) == line.higher_is_better,
                }
            )
        charts.append(
            {
                "key": key,
                "name": spec.name,
                "short_name": spec.short_name,
                "series": series,
                "measures": measures,
                "rows": [
                    {**measure, "values": [line["values"][index] for line in series]}
                    for index, measure in enumerate(measures)
                ],
                "json_id": f"outcome-data-{key}",
                # What theme-chart's sibling, outcome-charts.js, draws (embedded as JSON).
                "data": {
                    "labels": [measure["administered_on"].isoformat() for measure in measures],
                    "series": [
                        {"label": line["label"], "values": line["values"]} for line in series
                    ],
                    "min": min(line.low for line in spec.series),
                    "max": max(line.high for line in spec.series),
                    "bands": [{"low": b.low, "high": b.high, "label": b.label} for b in spec.bands],
                    "reference": {"value": spec.reference_line, "label": spec.reference_label}
                    if spec.reference_line is not None
                    else None,
                },
            }
        )
    return charts


def latest_safety_flag(charts: list[dict]) -> dict | None:
    """The latest PHQ-9, from outcome_charts(), if it raised the safety flag."""
    for chart in charts:
        if chart["key"] == "phq9" and chart["measures"][-1]["flag"]:
            return chart["measures"][-1]
    return None
