"""The pages a client reaches from a reminder email. No login: the signed token is the key.

GET only ever shows a page: mail scanners and link previews open every link in an email,
and must change nothing. A POST records. A bad or expired token gets a kind page with
status 400 and changes nothing.
"""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from clients.emails import sender_name, when_text
from clients.forms.outcomes import MeasureForm
from clients.models import (
    AttendanceStatus,
    MissReason,
    Reminder,
    ReminderKind,
    ReportedBy,
)
from clients.outcomes import instrument
from clients.selectors.client_replies import recorded_answer, reminder_for_link
from clients.services.client_replies import reminder_answer_record, reminder_unsubscribe
from clients.services.measure_requests import RequestClosed, measure_request_complete
from clients.tokens import Purpose


# Kept beside its only view rather than in clients/forms.py: it is the one form a client
# (not staff) ever sees.
class AnswerForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(AttendanceStatus.ATTENDED, "I went"), (AttendanceStatus.MISSED, "I missed it")]
    )
    reason = forms.ChoiceField(
        label="If you like, tell us why (you can skip this)",
        choices=[("", "I'd rather not say"), *MissReason.choices],
        required=False,
    )


def _page(request: HttpRequest, template: str, context: dict, *, status: int = 200):
    response = render(request, f"clients/respond/{template}", context, status=status)
    # The token in the address is a key: keep the page out of caches and search engines.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _bad_link(request: HttpRequest) -> HttpResponse:
    return _page(request, "bad_link.html", {}, status=400)


def _context(reminder: Reminder) -> dict:
    if reminder.kind == ReminderKind.MEASURE:
        return {"reminder": reminder, "sender": sender_name(reminder)}
    client = reminder.plan.client
    return {
        "reminder": reminder,
        "sender": sender_name(reminder),
        "title": "" if client.discreet_mode else reminder.plan.meeting.name,
        "when": when_text(reminder.occurrence_start, client.time_zone),
    }


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    reminder = reminder_for_link(Purpose.ANSWER, token)
    if reminder is None:
        return _bad_link(request)
    context = _context(reminder)
    if request.method == "POST":
        form = AnswerForm(request.POST)
        if form.is_valid():
            try:
                attendance = reminder_answer_record(
                    reminder=reminder,
                    status=form.cleaned_data["status"],
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except ValidationError as error:
                context["problem"] = " ".join(error.messages)
                return _page(request, "not_recorded.html", context, status=400)
            context["attendance"] = attendance
            context["kept_therapist_record"] = attendance.reported_by == ReportedBy.THERAPIST
            return _page(request, "answer_thanks.html", context)
        status = 400
    else:
        # The email's two links say which answer was clicked; nothing is recorded until
        # the client presses the button.
        chosen = request.GET.get("answer", "")
        form = AnswerForm(initial={"status": chosen})
        status = 200
    context["form"] = form
    context["chosen"] = request.POST.get("status") or request.GET.get("answer", "")
    context["recorded"] = recorded_answer(reminder)
    return _page(request, "answer.html", context, status=status)


# RFC 8058 one-click unsubscribe: mail providers POST "List-Unsubscribe=One-Click" to this URL
# from their own servers, with no cookie and no CSRF token, and expect a 200 (no redirect).
# The signed, purpose-bound token in the path is what authorises the request; a cross-site
# forger would need that token, and with it could do no more than stop emails.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    reminder = reminder_for_link(Purpose.UNSUBSCRIBE, token)
    if reminder is None:
        return _bad_link(request)
    context = _context(reminder)
    if request.method == "POST":
        # Any POST body is accepted: RFC 8058's "List-Unsubscribe=One-Click", our own
        # button's, or none. Withdrawing twice changes nothing.
        reminder_unsubscribe(reminder=reminder, request=request)
        return _page(request, "unsubscribed.html", context)
    context["already"] = not reminder.client.has_email_consent
    return _page(request, "unsubscribe.html", context)


@never_cache
@require_safe
def join(request: HttpRequest, token: str) -> HttpResponse:
    """A neutral stand-in for a join link whose own address would tell (discreet mode)."""
    reminder = reminder_for_link(Purpose.JOIN, token)
    url = reminder.plan.meeting.conference_url.strip() if reminder else ""
    if not url.startswith(("https://", "http://")):
        return _bad_link(request)
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _measure_closed(request: HttpRequest, context: dict) -> HttpResponse:
    # 410 Gone: the link was real, and is used up or past its time. Nothing was changed.
    return _page(request, "measure_closed.html", context, status=410)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def measure(request: HttpRequest, token: str) -> HttpResponse:
    """A questionnaire the therapist sent: GET shows it, POST records it, once.

    The token names the email's row; the row names the request and, through it, the client,
    so nothing in the address or the form can point the answers at anyone else.
    """
    reminder = reminder_for_link(Purpose.MEASURE, token)
    if reminder is None or reminder.kind != ReminderKind.MEASURE:
        return _bad_link(request)
    measure_request = reminder.measure_request
    client = measure_request.client
    context = _context(reminder)
    context["completed"] = measure_request.completed_at is not None
    if not measure_request.is_open(timezone.now()) or not client.is_active or client.is_restricted:
        return _measure_closed(request, context)
    spec = instrument(measure_request.instrument)
    form = MeasureForm(request.POST or None, instrument=spec, with_date=False)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                measure_request_complete(
                    measure_request_id=measure_request.pk,
                    responses=form.responses,
                    request=request,
                )
            except RequestClosed:
                # Another tab or a double tap was first: that one was recorded.
                context["completed"] = True
                return _measure_closed(request, context)
            except PermissionDenied:
                return _measure_closed(request, context)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                return _page(request, "measure_thanks.html", context)
        status = 400
    context.update(
        {
            "form": form,
            "spec": spec,
            "problems": [
                (f"div_{form[name].auto_id}", form.fields[name].label, errors)
                for name, errors in form.errors.items()
                if name in form.fields
            ],
        }
    )
    return _page(request, "measure.html", context, status=status)
