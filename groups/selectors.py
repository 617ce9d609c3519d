"""Reads of the meeting catalogue for pages: the search and a meeting's page. No client data:
a client's search (clients.views.meetings) fills the filters from the client's preferences
and reads through these."""

from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import slugify

from groups.filters import TYPE_CHOICES, MeetingFilter
from groups.models import Meeting, RecommendedMeeting
from groups.places import in_unit
from groups.queries import active_meetings, distance_km, next_occurrences
from groups.types import type_name
from recovery.models import User

PAGE_SIZE = 20


def meeting_search(
    user: User, params: QueryDict, *, initial: dict | None = None, action: str
) -> dict:
    """The filtered, paginated catalogue: the context the search templates use. `initial`
    fills filters `params` leave unset (a client's place and language, say); `action` is the
    URL the filters' form sends to."""
    data = params.copy()
    for key, value in (initial or {}).items():
        if key not in data and value not in (None, "", []):
            if isinstance(value, list):
                data.setlist(key, [str(v) for v in value])
            else:
                data[key] = str(value)
    unit = user.practice.distance_unit
    filters = MeetingFilter(data, queryset=active_meetings(), unit=unit)
    # A filter that cannot be read shows nothing, not the catalogue without that filter.
    valid = filters.is_valid()
    results = filters.qs if valid else Meeting.objects.none()
    page = Paginator(results, PAGE_SIZE).get_page(params.get("page"))
    origin = filters.form.origin if valid else None
    for meeting in page:
        meeting.type_names = [type_name(code) for code in meeting.types]
        meeting.distance = (
            in_unit(
                distance_km(origin.latitude, origin.longitude, meeting.latitude, meeting.longitude),
                unit,
            )
            if origin and meeting.latitude is not None
            else None
        )
    query = data.copy()
    query.pop("page", None)
    return {
        "filters": filters,
        "type_groups": type_groups(filters),
        "origin": origin,
        "unit": unit,
        "page": page,
        "query_string": query.urlencode(),
        "action": action,
    }


def type_groups(filters: MeetingFilter) -> list[dict]:
    """The meeting-type checkboxes by group, each saying whether it is ticked."""
    ticked = set(filters.form["types"].value() or [])
    return [
        {
            "name": group,
            "slug": slugify(group),
            "types": [(code, name, code in ticked) for code, name in choices],
            "ticked": len(ticked & {code for code, _ in choices}),
        }
        for group, choices in TYPE_CHOICES
    ]


def meeting_by_id(pk: int) -> Meeting:
    """A meeting of the catalogue, active or not, with its program and feed; 404 if none."""
    return get_object_or_404(Meeting.objects.select_related("program", "feed"), pk=pk)


def meeting_page(meeting: Meeting | int) -> dict:
    """A meeting's page: the meeting (404 if there is none), its types by name and its next
    occurrences."""
    if not isinstance(meeting, Meeting):
        meeting = meeting_by_id(meeting)
    return {
        "meeting": meeting,
        "type_names": [type_name(code) for code in meeting.types],
        "occurrences": next_occurrences(meeting, now=timezone.now()),
    }


def meeting_page_for_staff(user: User, pk: int) -> dict:
    """A meeting's page for staff: whether their practice recommends it as well."""
    context = meeting_page(pk)
    context["recommended"] = RecommendedMeeting.objects.filter(
        practice_id=user.practice_id, meeting=context["meeting"]
    ).exists()
    return context
