"""A practice's curated list: recommending meetings, and publishing them as a feed.

Therapists see which meetings their practice recommends; its admins and managers choose
them, and its admins publish the list at a public address (a page and its Meeting Guide
feed, readable without signing in, holding catalogue data only).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groups.forms import PublishedListForm
from groups.models import Meeting, PublishedList, RecommendedMeeting
from groups.publishing import body_etag, published_feed_body, recommended_meetings, unique_slug
from groups.types import type_name
from recovery.models import AuditAction, Role
from recovery.services import audit

CURATORS = {Role.ADMIN, Role.MANAGER}


def can_curate(user) -> bool:
    return user.is_authenticated and user.practice_id is not None and user.role in CURATORS


@login_required
@require_POST
def meeting_recommend(request: HttpRequest, pk: int) -> HttpResponse:
    """Add the meeting to the practice's recommended list, or take it off."""
    if not can_curate(request.user):
        raise Http404
    meeting = get_object_or_404(Meeting, pk=pk)
    existing = RecommendedMeeting.objects.filter(practice=request.user.practice, meeting=meeting)
    if request.POST.get("recommend") == "0":
        existing.delete()
        messages.success(request, f"“{meeting.name}” is no longer on your recommended list.")
    elif not meeting.is_active:
        messages.error(request, "This meeting is no longer listed by its feed.")
    else:
        RecommendedMeeting.objects.get_or_create(
            practice=request.user.practice, meeting=meeting, defaults={"added_by": request.user}
        )
        messages.success(request, f"“{meeting.name}” is on your recommended list.")
    if request.POST.get("next_page") == "list":
        return redirect("groups:published_list")
    return redirect("groups:detail", pk=meeting.pk)


def _published_list(practice) -> PublishedList:
    published = PublishedList.objects.filter(practice=practice).first()
    return published or PublishedList(
        practice=practice,
        slug=unique_slug(practice.name),
        title=f"Meetings {practice.name} recommends",
    )


@login_required
@require_http_methods(["GET", "POST"])
def published_list_edit(request: HttpRequest) -> HttpResponse:
    if not can_curate(request.user):
        raise Http404
    published = _published_list(request.user.practice)
    is_admin = request.user.role == Role.ADMIN
    form = PublishedListForm(request.POST or None, instance=published) if is_admin else None
    if form is not None and request.method == "POST" and form.is_valid():
        created = published.pk is None
        published = form.save()
        audit(
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            actor=request.user,
            obj=published,
            request=request,
        )
        messages.success(
            request,
            "Your list is published." if published.is_published else "Your list is not published.",
        )
        return redirect("groups:published_list")
    if request.method == "POST" and form is None:
        raise Http404
    meetings = list(recommended_meetings(request.user.practice_id))
    for meeting in meetings:
        meeting.type_names = [type_name(code) for code in meeting.types]
    return render(
        request,
        "groups/published_list.html",
        {
            "form": form,
            "published": published,
            "meetings": meetings,
            "page_url": request.build_absolute_uri(
                reverse("groups:published_page", args=[published.slug])
            ),
            "feed_url": request.build_absolute_uri(
                reverse("groups:published_feed", args=[published.slug])
            ),
        },
        status=400 if form is not None and form.is_bound else 200,
    )


def _public(slug: str) -> PublishedList:
    return get_object_or_404(
        PublishedList.objects.select_related("practice"), slug=slug, is_published=True
    )


@require_GET
def published_page(request: HttpRequest, slug: str) -> HttpResponse:
    published = _public(slug)
    meetings = list(recommended_meetings(published.practice_id))
    for meeting in meetings:
        meeting.type_names = [type_name(code) for code in meeting.types]
    response = render(
        request,
        "groups/published_page.html",
        {"published": published, "meetings": meetings},
    )
    patch_cache_control(response, public=True, max_age=300)
    return response


@require_GET
def published_feed(request: HttpRequest, slug: str) -> HttpResponse:
    """The list as Meeting Guide JSON, with an ETag so an unchanged feed costs a 304."""
    published = _public(slug)
    body = published_feed_body(published)
    etag = body_etag(body)
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["ETag"] = etag
    # Meeting Guide and other sites read feeds from anywhere; the data is public.
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=300)
    return response
