"""The caseload: a therapist's clients, or a practice's, with what the list shows of each."""

import datetime
from collections import defaultdict

from django.core.paginator import Paginator
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.http import QueryDict
from django.templatetags.tz import do_timezone

from clients.filters import CaseloadFilter
from clients.models import (
    Client,
    ClientStatus,
    LadderMove,
    MeetingPlan,
    NoteTheme,
    SessionNote,
)
from clients.selectors.common import MEETING_TIMES, PLAN_DATES, UNSHOWN_USER_FIELDS
from clients.selectors.outcomes import latest_phq9_flag
from recovery.models import User


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


CASELOAD_PAGE_SIZE = 25


def caseload_page(user: User, params: QueryDict, *, now: datetime.datetime) -> dict:
    """What the caseload's template shows: the filters as asked, one page of clients with
    their themes and next meeting, and the query string the page links keep."""
    filters = CaseloadFilter(
        params, queryset=caseload_for_user(user, include_discharged=True), user=user
    )
    page = Paginator(filters.qs, CASELOAD_PAGE_SIZE).get_page(params.get("page"))
    caseload_annotate_page(page.object_list, now=now)
    query = params.copy()
    query.pop("page", None)
    return {"filters": filters, "page": page, "query_string": query.urlencode()}
