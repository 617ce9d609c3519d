"""The meeting catalogue for staff: search and a meeting's page. No client data here."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from groups.publish_views import can_curate
from groups.selectors import meeting_page_for_staff, meeting_search
from recovery.rendering import render_page_or_fragment

# The search page, and the results alone that htmx swaps in as the filters change.
SEARCH_PAGE = "groups/meeting_list.html"
SEARCH_RESULTS = "groups/partials/meeting_results.html"


@require_GET
@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    context = meeting_search(request.user, request.GET, action=request.path)
    return render_page_or_fragment(request, context, page=SEARCH_PAGE, fragment=SEARCH_RESULTS)


@require_GET
@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    context = meeting_page_for_staff(request.user, pk)
    context["can_curate"] = can_curate(request.user)
    return render(request, "groups/meeting_detail.html", context)
