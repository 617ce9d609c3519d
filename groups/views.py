"""The meeting catalogue for staff: search and a meeting's page. No client data here."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from groups.filters import TYPE_CHOICES, MeetingFilter
from groups.models import Meeting, RecommendedMeeting
from groups.places import in_unit
from groups.publish_views import can_curate
from groups.selectors import active_meetings, distance_km, next_occurrences
from groups.types import type_name

PAGE_SIZE = 20


def search_meetings(request: HttpRequest, *, initial: dict | None = None) -> dict:
    """The filtered, paginated catalogue for a request: the context the list templates use.

    `initial` fills filters the request leaves unset (a client's place and language, say).
    """
    data = request.GET.copy()
    for key, value in (initial or {}).items():
        if key not in data and value not in (None, "", []):
            if isinstance(value, list):
                data.setlist(key, [str(v) for v in value])
            else:
                data[key] = str(value)
    unit = request.user.practice.distance_unit
    filters = MeetingFilter(data, queryset=active_meetings(), unit=unit)
    # A filter that cannot be read shows nothing, not the catalogue without that filter.
    valid = filters.is_valid()
    results = filters.qs if valid else Meeting.objects.none()
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
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
        "action": request.path,
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


def render_search(request: HttpRequest, context: dict) -> HttpResponse:
    """The whole page, or only the results when htmx asks as the filters change."""
    template = (
        "groups/partials/meeting_results.html"
        if request.headers.get("HX-Request")
        else "groups/meeting_list.html"
    )
    return render(request, template, context)


@require_GET
@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    return render_search(request, search_meetings(request))


@require_GET
@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.select_related("program", "feed"), pk=pk)
    context = meeting_context(meeting)
    context["recommended"] = RecommendedMeeting.objects.filter(
        practice_id=request.user.practice_id, meeting=meeting
    ).exists()
    context["can_curate"] = can_curate(request.user)
    return render(request, "groups/meeting_detail.html", context)


def meeting_context(meeting: Meeting) -> dict:
    return {
        "meeting": meeting,
        "type_names": [type_name(code) for code in meeting.types],
        "occurrences": next_occurrences(meeting, now=timezone.now()),
    }
