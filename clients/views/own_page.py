"""The client's own page ("Your meetings"). Clients have no login: the signed link in each
email opens a short visit, held in its own cookie sent only to /me/.

GET only ever shows: mail scanners open every link in an email. Opening the link starts a
visit and sends the browser on to /me/, so the token leaves the address bar. Each change
is a POST carrying the visit's own form token (an HMAC of the visit): the page sets
`Referrer-Policy: no-referrer`, under which browsers send "Origin: null" and Django's CSRF
check would refuse every form, so the visit's token (and the cookie's SameSite=Lax) stand
in for it. A visit reaches nothing but this page: staff pages read only the staff session.
"""

import datetime
import functools

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from clients.models import AttendanceStatus, Client, ClientPageSession, MissReason
from clients.selectors.own_page import own_page
from clients.services.client_page import (
    PAUSE_WEEKS,
    client_answer_record,
    client_emails_stop,
    client_reminders_pause,
    client_reminders_resume,
    client_settings_update,
    lead_time_text,
)
from clients.services.page_links import (
    page_link_client,
    page_visit,
    page_visit_end,
    page_visit_start,
)
from recovery.models import AuditAction
from recovery.services import audit

COOKIE_PATH = "/me/"
LEAD_TIMES = (30, 60, 120, 240, 24 * 60)
# What the page says after each change (the key travels in ?done=; nothing else does).
DONE = {
    "answered": "Thank you. We saved your answer.",
    "settings": "Saved. Your emails will follow these settings.",
    "unchanged": "Nothing changed.",
    "paused": "Done. Reminders are on pause.",
    "resumed": "Done. Reminders are on again.",
}


class OwnAnswerForm(forms.Form):
    plan = forms.IntegerField(widget=forms.HiddenInput)
    start = forms.CharField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        choices=[
            (AttendanceStatus.ATTENDED, "I went"),
            (AttendanceStatus.MISSED, "I couldn't make it"),
        ]
    )
    reason = forms.ChoiceField(
        label="If you like, tell us why (you can skip this)",
        choices=[("", "I'd rather not say"), *MissReason.choices],
        required=False,
    )

    def clean_start(self) -> datetime.datetime:
        try:
            start = datetime.datetime.fromisoformat(self.cleaned_data["start"])
        except ValueError:
            raise ValidationError("We could not find that meeting.") from None
        if start.tzinfo is None:
            raise ValidationError("We could not find that meeting.")
        return start


class OwnSettingsForm(forms.Form):
    reminder_lead_minutes = forms.TypedChoiceField(
        label="When should we remind you?", coerce=int, choices=()
    )
    quiet_hours_start = forms.TimeField(
        label="No emails after", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    quiet_hours_end = forms.TimeField(
        label="No emails before", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    discreet_mode = forms.BooleanField(
        label="Keep my emails plain: no meeting name in them", required=False
    )
    checkin_enabled = forms.BooleanField(
        label="After a meeting, ask me how it went", required=False
    )

    def __init__(self, *args, client: Client, **kwargs):
        kwargs.setdefault("initial", {name: getattr(client, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)
        minutes = sorted({*LEAD_TIMES, client.reminder_lead_minutes})
        self.fields["reminder_lead_minutes"].choices = [
            (value, f"{lead_time_text(value)} before") for value in minutes
        ]


class PauseForm(forms.Form):
    weeks = forms.TypedChoiceField(
        label="Pause reminders for",
        coerce=int,
        choices=[(weeks, f"{weeks} week{'s' if weeks > 1 else ''}") for weeks in PAUSE_WEEKS],
        initial=1,
    )


def _private(response: HttpResponse) -> HttpResponse:
    # No other site learns the page's address; no cache, shared or private, keeps a copy.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response


def _form_token(visit: ClientPageSession) -> str:
    return salted_hmac("clients.own-page.form", visit.key_hash).hexdigest()


def _render(request: HttpRequest, template: str, context: dict, *, status: int = 200):
    return _private(render(request, f"clients/own/{template}", context, status=status))


def _closed(request: HttpRequest) -> HttpResponse:
    return _render(request, "closed.html", {}, status=403)


def _forget_cookie(response: HttpResponse) -> HttpResponse:
    response.delete_cookie(settings.CLIENT_PAGE_COOKIE_NAME, path=COOKIE_PATH)
    return response


def _visit(request: HttpRequest) -> ClientPageSession | None:
    return page_visit(request.COOKIES.get(settings.CLIENT_PAGE_COOKIE_NAME, ""))


def visit_required(view):
    """The view runs for the client of an open visit; a POST must carry the visit's token."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        visit = _visit(request)
        if visit is None:
            return _forget_cookie(_closed(request))
        if request.method == "POST" and not constant_time_compare(
            request.POST.get("visit_token", ""), _form_token(visit)
        ):
            return _closed(request)
        return view(request, visit, *args, **kwargs)

    return wrapper


@require_safe
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an email: start a visit and go to the page. HEAD (a link checker) only
    learns that the link works."""
    client = page_link_client(token)
    if client is None:
        return _render(request, "link_closed.html", {}, status=400)
    response = _private(HttpResponseRedirect(reverse("own_page:home")))
    if request.method == "HEAD":
        return response
    earlier = _visit(request)
    if earlier is not None:
        page_visit_end(earlier)
    response.set_cookie(
        settings.CLIENT_PAGE_COOKIE_NAME,
        page_visit_start(client),
        path=COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _page(
    request: HttpRequest, visit: ClientPageSession, *, status: int = 200, **forms_given
) -> HttpResponse:
    client = visit.client
    now = timezone.now()
    audit(action=AuditAction.VIEW, client=client, request=request, by_client=True)
    context = own_page(client, now=now)
    context.update(
        client=client,
        visit_token=_form_token(visit),
        done=DONE.get(request.GET.get("done", ""), ""),
        settings_form=forms_given.get("settings_form") or OwnSettingsForm(client=client),
        pause_form=forms_given.get("pause_form") or PauseForm(),
        answer_form=OwnAnswerForm(),
        answer_error=forms_given.get("answer_error", ""),
        reasons=MissReason.choices,
        emails_on=client.has_email_consent,
    )
    return _render(request, "page.html", context, status=status)


def _done(key: str) -> HttpResponse:
    return HttpResponseRedirect(f"{reverse('own_page:home')}?done={key}")


@require_safe
@visit_required
def home(request: HttpRequest, visit: ClientPageSession) -> HttpResponse:
    return _page(request, visit)


@require_POST
@visit_required
def answer(request: HttpRequest, visit: ClientPageSession) -> HttpResponse:
    form = OwnAnswerForm(request.POST)
    if form.is_valid():
        try:
            client_answer_record(
                client=visit.client,
                plan_id=form.cleaned_data["plan"],
                occurrence_start=form.cleaned_data["start"],
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            return _page(request, visit, status=400, answer_error=" ".join(error.messages))
        return _done("answered")
    problems = [message for errors in form.errors.values() for message in errors]
    return _page(request, visit, status=400, answer_error=" ".join(problems))


@require_POST
@visit_required
def reminder_settings(request: HttpRequest, visit: ClientPageSession) -> HttpResponse:
    form = OwnSettingsForm(request.POST, client=visit.client)
    if form.is_valid():
        try:
            change = client_settings_update(
                client=visit.client, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _done("settings" if change else "unchanged")
    return _page(request, visit, status=400, settings_form=form)


@require_POST
@visit_required
def pause(request: HttpRequest, visit: ClientPageSession) -> HttpResponse:
    form = PauseForm(request.POST)
    if form.is_valid():
        client_reminders_pause(
            client=visit.client, weeks=form.cleaned_data["weeks"], request=request
        )
        return _done("paused")
    return _page(request, visit, status=400, pause_form=form)


@require_POST
@visit_required
def resume(request: HttpRequest, visit: ClientPageSession) -> HttpResponse:
    change = client_reminders_resume(client=visit.client, request=request)
    return _done("resumed" if change else "unchanged")


@require_POST
@visit_required
def stop(request: HttpRequest, visit: ClientPageSession) -> HttpResponse:
    """Stop every email. The page's links go with the consent, so the visit ends here."""
    client_emails_stop(client=visit.client, request=request)
    return _forget_cookie(_render(request, "stopped.html", {}))


@require_POST
@visit_required
def leave(request: HttpRequest, visit: ClientPageSession) -> HttpResponse:
    page_visit_end(visit)
    return _forget_cookie(_render(request, "left.html", {}))
