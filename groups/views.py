"""The meeting catalogue for staff: search and a meeting's page. No client data here."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from groups.filters import MeetingFilter
from groups.models import Meeting, RecommendedMeeting
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
    filters = MeetingFilter(data, queryset=active_meetings())
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    origin = None
    if filters.is_valid() and filters.form.cleaned_data.get("lat") is not None:
        origin = (filters.form.cleaned_data["lat"], filters.form.cleaned_data.get("lng"))
    for meeting in page:
        meeting.type_names = [type_name(code) for code in meeting.types]
        meeting.distance = (
            distance_km(float(origin[0]), float(origin[1]), meeting.latitude, meeting.longitude)
            if origin and origin[1] is not None and meeting.latitude is not None
            else None
        )
    query = data.copy()
    query.pop("page", None)
    return {
        "filters": filters,
        "page": page,
        "query_string": query.urlencode(),
        "action": request.path,
    }


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
