"""A client's email reminders: consent, preferences, and every reminder with its status."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from clients.forms import ConsentForm, ReminderPreferencesForm
from clients.selectors import Need, get_client_for_user
from clients.selectors.client_page import client_reminders_page
from clients.services import (
    DEFAULT_CONSENT_TEXT,
    email_consent_record,
    email_consent_withdraw,
    reminder_preferences_update,
)
from clients.services.page_links import client_page_links_revoke
from clients.views.common import form_errors_from
from recovery.models import AuditAction
from recovery.services import audit


def _render(request, client, *, consent_form=None, preferences_form=None, status=200):
    is_clinician = client.primary_therapist_id == request.user.pk
    context = client_reminders_page(client) | {
        "is_clinician": is_clinician,
        "consent_form": consent_form or ConsentForm(initial={"consent_text": DEFAULT_CONSENT_TEXT}),
        "preferences_form": preferences_form or ReminderPreferencesForm(instance=client),
        "now": timezone.now(),
    }
    return render(request, "clients/reminders.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def client_reminders(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk)
    if request.method == "GET":
        audit(action=AuditAction.VIEW, actor=request.user, client=client, request=request)
        return _render(request, client)
    client = get_client_for_user(request.user, pk, need=Need.CLINICIAN)
    # A copy of its own for the form, which writes the posted values onto its instance.
    form = ReminderPreferencesForm(
        request.POST, instance=get_client_for_user(request.user, pk, need=Need.CLINICIAN)
    )
    if form.is_valid():
        try:
            reminder_preferences_update(
                actor=request.user, client=client, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Reminder preferences saved.")
            return redirect("clients:reminders", pk=client.pk)
    return _render(request, client, preferences_form=form, status=400)


@require_POST
@login_required
def consent_record(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, need=Need.CLINICIAN)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            email_consent_record(
                actor=request.user,
                client=client,
                request=request,
                consent_text=form.cleaned_data["consent_text"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Consent recorded. Reminders start with the next plan.")
            return redirect("clients:reminders", pk=client.pk)
    return _render(request, client, consent_form=form, status=400)


@require_POST
@login_required
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, need=Need.CLINICIAN)
    email_consent_withdraw(client=client, actor=request.user, request=request)
    messages.success(request, "Consent withdrawn. No more emails will be sent.")
    return redirect("clients:reminders", pk=client.pk)


@require_POST
@login_required
def page_links_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone on staff who can see the client may turn the links off: it only protects."""
    client = get_client_for_user(request.user, pk)
    client_page_links_revoke(actor=request.user, client=client, request=request)
    messages.success(
        request, "Every link to the client's page is off. Their next email brings a new one."
    )
    return redirect("clients:reminders", pk=client.pk)
