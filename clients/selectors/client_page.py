"""The client page: timeline, theme chart, plans and their occurrences, outcome charts."""

import datetime
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max
from django.http import QueryDict
from django.templatetags.tz import do_timezone
from django.utils import timezone
from django.utils.formats import date_format

from clients.forms import AttendanceForm, LadderMoveForm
from clients.models import (
    Addendum,
    Attendance,
    AttendanceStatus,
    Client,
    LadderMove,
    MeetingPlan,
    NoteTheme,
    Reminder,
    SessionNote,
)
from clients.selectors.access import get_client_for_user
from clients.selectors.answers import recent_client_reasons
from clients.selectors.common import MEETING_TIMES, PLAN_DATES, UNSHOWN_USER_FIELDS
from clients.selectors.matching import meetings_that_may_fit
from clients.selectors.outcomes import latest_safety_flag, outcome_charts
from recovery.models import User


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


def client_page(user: User, pk: int | str, *, params: QueryDict, now: datetime.datetime) -> dict:
    """What the client page's template shows, for a user who may see the client (404
    otherwise). Note text, drafts and the ladder form are for the client's own therapist;
    others see that notes exist. `params` asks for the whole history (history=all) and carries
    a ladder step to offer after a first attendance (offer_step, offer_on)."""
    client = get_client_for_user(user, pk)
    is_clinician = client.primary_therapist_id == user.pk
    full_history = params.get("history") == "all"
    current_step = client.ladder_moves.first()
    charts = outcome_charts(client)
    return {
        "client": client,
        "is_clinician": is_clinician,
        "timeline": client_timeline(client, limit=1000 if full_history else 20),
        "full_history": full_history,
        "current_step": current_step,
        "chart": theme_intensity_series(client),
        "outcome_charts": charts,
        "safety_flag": latest_safety_flag(charts),
        "missed_reasons": recent_client_reasons(client),
        "ladder_form": LadderMoveForm(initial={"step": current_step.step if current_step else 1})
        if is_clinician
        else None,
        "drafts": client.session_notes.filter(status="draft").order_by("-session_date")
        if is_clinician
        else [],
        "occurrences": plan_occurrences(client, now=now),
        "reminders": Reminder.objects.of_client(client).order_by("-due_at")[:6],
        "page_changes": client.page_changes.all()[:5],
        "now": now,
        "attendance_choices": AttendanceForm.base_fields["status"].choices,
        "reason_choices": AttendanceForm.base_fields["reason"].choices,
        "suggestions": meetings_that_may_fit(
            client,
            today=timezone.localdate(now),
            current_step=current_step.step if current_step else None,
        )
        if client.is_active
        else [],
        "ladder_offer": _ladder_offer(params, current_step) if is_clinician else None,
    }


def _ladder_offer(params: QueryDict, current_step: LadderMove | None) -> dict | None:
    """After a first attendance of a new kind, offer the matching ladder step: the therapist
    confirms; nothing moves by itself."""
    form = LadderMoveForm({"step": params.get("offer_step"), "reached_on": params.get("offer_on")})
    if "offer_step" not in params or not form.is_valid():
        return None
    step = form.cleaned_data["step"]
    if current_step and current_step.step >= step:
        return None
    return {"step": step, "reached_on": form.cleaned_data["reached_on"]}


def client_reminders_page(client: Client) -> dict:
    """A client's reminders page: the latest 50 reminders of either kind with what they were
    for, and the latest changes the client made on their own page."""
    return {
        "client": client,
        "reminders": Reminder.objects.of_client(client)
        .select_related("plan__meeting", "measure_request")
        .order_by("-due_at")[:50],
        "page_changes": client.page_changes.all()[:10],
    }
