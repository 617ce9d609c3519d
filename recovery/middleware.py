import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.http import urlencode

from recovery import sessions, two_factor


class PracticeTimeZoneMiddleware:
    """Show times, and take "today", in the signed-in person's practice time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.practice.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


def not_activity(view):
    """Mark a view the browser calls by itself (idle.js asking how long is left): such a
    request must not keep an unattended session alive."""
    view.counts_as_activity = False
    return view


def _page_path(request: HttpRequest) -> str:
    # An htmx request's own path is a fragment; the page it came from is where to return.
    current = request.headers.get("HX-Current-URL")
    if current:
        parts = urlsplit(current)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.get_full_path()


def _send_to(request: HttpRequest, url: str, *, status: int) -> HttpResponse:
    """Send the browser to `url`: a redirect for a page, HX-Redirect for htmx (a redirect
    there would swap a whole page into a fragment), a JSON status for idle.js."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=status)
        response["HX-Redirect"] = url
        return response
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"remaining": 0, "redirect": url}, status=status)
    return HttpResponseRedirect(url)


class SessionTimeoutMiddleware:
    """Ends a session idle for SESSION_IDLE_SECONDS, or older than SESSION_COOKIE_AGE since
    sign-in, and records activity otherwise.

    What counts as activity: every request a person's action makes, including htmx requests
    (search as they type, note suggestions) and a note's autosave, which only fires after
    they typed: a therapist writing a long note must not lose the session. Not activity:
    idle.js's own question "how long is left?" (views marked `not_activity`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None
        reason = sessions.session_expiry(request.session)
        if reason is not None:
            sessions.session_expire(request=request, reason=reason)
            messages.info(request, sessions.expiry_message(reason))
            login_url = resolve_url(settings.LOGIN_URL)
            return _send_to(
                request, f"{login_url}?{urlencode({'next': _page_path(request)})}", status=401
            )
        if getattr(view_func, "counts_as_activity", True):
            sessions.session_touch(request.session)
        return None


# Reachable half-way through sign-in, after the password and before the second factor.
TWO_FACTOR_OPEN_VIEWS = {
    "login",
    "logout",
    "two_factor_verify",
    "two_factor_enrol",
    "session_status",
    "session_keepalive",
    "csp_report",
    # Someone signed in half-way who opens an invitation link is told to sign out first.
    "invitation_accept",
}


class TwoFactorMiddleware:
    """Sends a signed-in person who has not passed the second factor to do so (or to set it
    up) before any other page: everyone when REQUIRE_2FA is on, whoever has set it up in any
    case, and staff on their way into the Django admin always (the admin site checks too)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match.view_name in TWO_FACTOR_OPEN_VIEWS:
            return None
        enrolled = two_factor.has_device(user)
        in_admin = "admin" in match.namespaces and user.is_staff
        if not (settings.REQUIRE_2FA or enrolled or in_admin):
            return None
        target = resolve_url("two_factor_verify" if enrolled else "two_factor_enrol")
        return _send_to(request, f"{target}?{urlencode({'next': _page_path(request)})}", status=403)
