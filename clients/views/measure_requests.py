"""The therapist's side of questionnaires by email: send one now, set or stop a schedule."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from clients.models import Instrument
from clients.selectors import Need, get_client_for_user
from clients.services.measure_requests import (
    CLIENT_INSTRUMENTS,
    measure_request_send,
    measure_requests_page,
    measure_schedule_set,
    measure_schedule_stop,
)
from clients.views.common import form_errors_from
from recovery.models import AuditAction
from recovery.services import audit

INSTRUMENT_CHOICES = [(key, Instrument(key).label) for key in CLIENT_INSTRUMENTS]


class SendForm(forms.Form):
    instrument = forms.ChoiceField(choices=INSTRUMENT_CHOICES, label="Questionnaire")


class ScheduleForm(forms.Form):
    instrument = forms.ChoiceField(choices=INSTRUMENT_CHOICES, label="Questionnaire")
    every_days = forms.IntegerField(
        label="Every (days)", min_value=7, max_value=365, initial=30, help_text="7 to 365 days."
    )


def _render(request, client, *, send_form=None, schedule_form=None, status=200):
    context = {
        "client": client,
        "page": measure_requests_page(client=client),
        "now": timezone.now(),
        "link_days": settings.MEASURE_LINK_MAX_AGE_DAYS,
        "send_form": send_form or SendForm(),
        "schedule_form": schedule_form or ScheduleForm(),
    }
    return render(request, "clients/measure_requests.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def measure_send(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the page. POST: send one questionnaire now."""
    client = get_client_for_user(request.user, pk, need=Need.CLINICIAN)
    if request.method == "GET":
        audit(action=AuditAction.VIEW, actor=request.user, client=client, request=request)
        return _render(request, client)
    form = SendForm(request.POST)
    if form.is_valid():
        try:
            measure_request_send(
                actor=request.user,
                client=client,
                instrument=form.cleaned_data["instrument"],
                request=request,
            )
        except ValidationError as error:
            form_errors_from(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Sent. The client gets the email within a few minutes.")
            return redirect("clients:measure_send", pk=client.pk)
    return _render(request, client, send_form=form, status=400)


@require_POST
@login_required
def measure_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, need=Need.CLINICIAN)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            measure_schedule_set(
                actor=request.user,
                client=client,
                instrument=form.cleaned_data["instrument"],
                every_days=form.cleaned_data["every_days"],
                request=request,
            )
        except ValidationError as error:
            form_errors_from(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Schedule saved. The first one goes out within the hour.")
            return redirect("clients:measure_send", pk=client.pk)
    return _render(request, client, schedule_form=form, status=400)


@require_POST
@login_required
def measure_schedule_stop_view(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, need=Need.CLINICIAN)
    form = SendForm(request.POST)  # names the instrument, nothing else
    if not form.is_valid():
        return _render(request, client, status=400)
    measure_schedule_stop(
        actor=request.user,
        client=client,
        instrument=form.cleaned_data["instrument"],
        request=request,
    )
    messages.success(
        request, "Schedule stopped. Questionnaires already sent can still be answered."
    )
    return redirect("clients:measure_send", pk=client.pk)
