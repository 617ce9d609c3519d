"""The practice admin's feed pages: add, edit, pause, remove, import now, and the report.

A practice's feeds are its own: another practice's admin, and every other role, gets 404.
Feeds of the hosting operator (no practice) are listed read-only; only a superuser changes
them, in the Django admin. Imports run in a worker; the feed's page polls its status.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groups.feeds import feed_queue, feed_remove
from groups.forms import FeedForm
from groups.models import Feed
from recovery.models import AuditAction, Role
from recovery.services import audit

REPORT_PAGE_SIZE = 50


def _admin_only(request: HttpRequest) -> None:
    if request.user.role != Role.ADMIN or request.user.practice_id is None:
        raise Http404


def _own_feed(request: HttpRequest, pk: int) -> Feed:
    _admin_only(request)
    return get_object_or_404(Feed, pk=pk, practice=request.user.practice)


def _with_counts(feeds):
    return feeds.annotate(
        active_meetings=Count("meetings", filter=Q(meetings__is_active=True))
    ).order_by("name")


@login_required
@require_GET
def feed_list(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    now = timezone.now()
    own = list(_with_counts(Feed.objects.filter(practice=request.user.practice)).defer("upload"))
    shared = list(_with_counts(Feed.objects.filter(practice__isnull=True)).defer("upload"))
    for feed in own + shared:
        feed.stale = feed.is_stale(now=now, hours=settings.FEED_STALE_HOURS)
    return render(
        request,
        "groups/feeds/feed_list.html",
        {
            "feeds": own,
            "shared_feeds": shared,
            "stale_hours": settings.FEED_STALE_HOURS,
            "refresh_hours": settings.FEED_REFRESH_HOURS,
            "polling": any(feed.is_busy for feed in own),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def feed_add(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    practice = request.user.practice
    form = FeedForm(
        request.POST or None,
        request.FILES or None,
        practice=practice,
        initial={"default_time_zone": practice.time_zone},
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            feed = form.save()
            audit(action=AuditAction.CREATE, actor=request.user, obj=feed, request=request)
            feed_queue(feed)
        messages.success(request, f"Feed “{feed.name}” added; its first import is queued.")
        return redirect("groups:feed_detail", pk=feed.pk)
    return render(
        request,
        "groups/feeds/feed_form.html",
        {"form": form, "feed": None},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def feed_edit(request: HttpRequest, pk: int) -> HttpResponse:
    feed = _own_feed(request, pk)
    form = FeedForm(
        request.POST or None, request.FILES or None, instance=feed, practice=feed.practice
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            feed = form.save()
            audit(action=AuditAction.UPDATE, actor=request.user, obj=feed, request=request)
            queued = feed_queue(feed)
        messages.success(
            request,
            f"Feed “{feed.name}” saved; "
            + ("an import is queued." if queued else "an import is already under way."),
        )
        return redirect("groups:feed_detail", pk=feed.pk)
    return render(
        request,
        "groups/feeds/feed_form.html",
        {"form": form, "feed": feed},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_GET
def feed_detail(request: HttpRequest, pk: int) -> HttpResponse:
    feed = _own_feed(request, pk)
    report = feed.last_report or {}
    kind = request.GET.get("show")
    entries = report.get("warnings" if kind == "warnings" else "rejected") or []
    page = Paginator(entries, REPORT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "groups/feeds/feed_detail.html",
        {
            **_status_context(feed),
            "report": report,
            "showing": "warnings" if kind == "warnings" else "rejected",
            "entries": page,
            "active_meetings": feed.meetings.filter(is_active=True).count(),
        },
    )


def _status_context(feed: Feed) -> dict:
    return {
        "feed": feed,
        "stale": feed.is_stale(now=timezone.now(), hours=settings.FEED_STALE_HOURS),
        "stale_hours": settings.FEED_STALE_HOURS,
        "refresh_hours": settings.FEED_REFRESH_HOURS,
    }


@login_required
@require_GET
def feed_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status panel alone, polled every few seconds while an import is queued or runs.

    When it settles, htmx is told to reload the page so the counts and report are fresh.
    """
    feed = _own_feed(request, pk)
    response = render(request, "groups/feeds/partials/feed_status.html", _status_context(feed))
    if not feed.is_busy and request.GET.get("was") == "busy":
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def feed_import_now(request: HttpRequest, pk: int) -> HttpResponse:
    feed = _own_feed(request, pk)
    if feed_queue(feed):
        messages.success(request, f"An import of “{feed.name}” is queued.")
    else:
        messages.info(request, f"An import of “{feed.name}” is already under way.")
    return redirect("groups:feed_detail", pk=feed.pk)


@login_required
@require_POST
def feed_pause(request: HttpRequest, pk: int) -> HttpResponse:
    feed = _own_feed(request, pk)
    feed.is_paused = not feed.is_paused
    feed.save(update_fields=["is_paused"])
    audit(action=AuditAction.UPDATE, actor=request.user, obj=feed, request=request)
    if feed.is_paused:
        messages.success(
            request, f"“{feed.name}” is paused: its meetings stay, and it is not refreshed."
        )
    else:
        messages.success(request, f"“{feed.name}” is refreshed again from now on.")
    return redirect("groups:feed_detail", pk=feed.pk)


@login_required
@require_http_methods(["GET", "POST"])
def feed_delete(request: HttpRequest, pk: int) -> HttpResponse:
    feed = _own_feed(request, pk)
    if request.method == "POST" and feed.is_busy:
        messages.error(request, "An import of this feed is under way; remove it once it ends.")
        return redirect("groups:feed_detail", pk=feed.pk)
    if request.method == "POST":
        name = feed.name
        audit(action=AuditAction.DELETE, actor=request.user, obj=feed, request=request)
        deactivated = feed_remove(feed)
        messages.success(
            request,
            f"Feed “{name}” removed. Its {deactivated} meetings are no longer listed; plans "
            "that use them keep them.",
        )
        return redirect("groups:feed_list")
    return render(
        request,
        "groups/feeds/feed_confirm_delete.html",
        {"feed": feed, "active_meetings": feed.meetings.filter(is_active=True).count()},
    )
