"""A practice admin's pages for a client's whole record: export, disclosures, erasure, deletion.

Everyone but an admin of the client's practice gets a 404, as for any record outside their
scope: the pages do not tell a therapist or manager that they exist.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from clients.forms import DateInput
from clients.models import DisclosureFormat, RecordSection
from clients.selectors import Need, get_client_for_user
from clients.services.records import (
    PART2_CITATION,
    PART2_NOTICE,
    PRINTED_COPY_KEPT,
    client_delete,
    client_record_disclose,
    client_restrict,
    deletion_refusal,
    disclosure_printed_copy_keep,
    retention_ends_on,
)
from clients.views.common import form_errors_from
from recovery.models import AuditAction
from recovery.services import audit

# --- Forms ---------------------------------------------------------------------------------


class ExportForm(forms.Form):
    recipient = forms.CharField(
        max_length=300,
        label="To whom",
        help_text="The person or organisation receiving the record, e.g. the client, a new "
        "treatment program, a court with an order.",
    )
    purpose = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why",
        help_text="The purpose the client's consent or the law allows.",
    )
    sections = forms.MultipleChoiceField(
        choices=RecordSection.choices,
        widget=forms.CheckboxSelectMultiple,
        label="What the export includes",
        initial=RecordSection.values,
    )
    format = forms.ChoiceField(
        choices=DisclosureFormat.choices,
        widget=forms.RadioSelect,
        initial=DisclosureFormat.HTML,
    )


class ErasureForm(forms.Form):
    requested_on = forms.DateField(widget=DateInput(), label="The client asked on")
    confirm = forms.BooleanField(
        label="Discharge the client, stop every email, wipe the contact details and keep the "
        "record read-only until the retention period ends. This cannot be undone."
    )


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label="Delete this client's record and all its clinical rows for good."
    )


# --- Export and disclosures ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def record_export(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, need=Need.ADMIN)
    if request.method == "GET":  # the page names the client and shows parts of the record
        audit(action=AuditAction.VIEW, actor=request.user, client=client, request=request)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            disclosure, record = client_record_disclose(
                actor=request.user, client=client, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            if disclosure.format == DisclosureFormat.JSON:
                response = JsonResponse(
                    record,
                    encoder=DjangoJSONEncoder,
                    json_dumps_params={"indent": 2, "ensure_ascii": False},
                )
                # No name in the file name: it shows in download lists and mail attachments.
                response["Content-Disposition"] = (
                    f'attachment; filename="client-{client.pk}-disclosure-{disclosure.pk}.json"'
                )
                return response
            # The page is kept as disclosed and shown by a GET of its own, so that refreshing
            # it or printing it again shows the same disclosure instead of posting (and
            # recording) a second one, or a record that has changed since.
            disclosure_printed_copy_keep(
                disclosure=disclosure,
                html=render_to_string(
                    "clients/records/export_print.html",
                    {"client": client, "disclosure": disclosure, "record": record},
                    request=request,
                ),
            )
            return redirect(
                "clients:record_disclosure_print", pk=client.pk, disclosure_pk=disclosure.pk
            )
    return render(
        request,
        "clients/records/export_form.html",
        {"client": client, "form": form, "notice": PART2_NOTICE, "citation": PART2_CITATION},
        status=400 if form.is_bound else 200,
    )


@require_GET
@login_required
def record_disclosure_print(request: HttpRequest, pk: int, disclosure_pk: int) -> HttpResponse:
    # Audited below, with the disclosure it prints.
    client = get_client_for_user(request.user, pk, need=Need.ADMIN)
    disclosure = get_object_or_404(
        client.disclosures, pk=disclosure_pk, format=DisclosureFormat.HTML, made_by=request.user
    )
    # The copy is kept for PRINTED_COPY_KEPT after the export (then emptied by a beat task);
    # after that, printing the record again is a new export and a new disclosure.
    expired = disclosure.made_at < timezone.now() - PRINTED_COPY_KEPT
    if expired or not disclosure.printed_copy:
        messages.info(
            request,
            "The printable page of an export stays open for an hour. To print the record "
            "again, export it again: that is recorded as a new disclosure.",
        )
        return redirect("clients:record_disclosures", pk=client.pk)
    audit(
        action=AuditAction.VIEW, actor=request.user, client=client, obj=disclosure, request=request
    )
    return HttpResponse(disclosure.printed_copy)


@require_GET
@login_required
def record_disclosures(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, need=Need.ADMIN)
    if request.method == "GET":  # the page names the client and shows parts of the record
        audit(action=AuditAction.VIEW, actor=request.user, client=client, request=request)
    disclosures = client.disclosures.select_related("made_by").defer("printed_copy")
    return render(
        request,
        "clients/records/disclosures.html",
        {
            "client": client,
            "disclosures": disclosures,
            "printable_since": timezone.now() - PRINTED_COPY_KEPT,
        },
    )


# --- Erasure and deletion ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def record_erasure(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, need=Need.ADMIN)
    if request.method == "GET":  # the page names the client and shows parts of the record
        audit(action=AuditAction.VIEW, actor=request.user, client=client, request=request)
    if client.is_restricted:
        messages.info(request, "This record is already restricted.")
        return redirect("clients:detail", pk=client.pk)
    form = ErasureForm(request.POST or None, initial={"requested_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            client_restrict(
                actor=request.user,
                client=client,
                request=request,
                requested_on=form.cleaned_data["requested_on"],
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request,
                f"The erasure request is recorded: {client.preferred_name}'s record is "
                "restricted, emails have stopped and the contact details are wiped.",
            )
            return redirect("clients:detail", pk=client.pk)
    return render(
        request,
        "clients/records/erasure_form.html",
        {"client": client, "form": form, "retention_days": settings.RECORD_RETENTION_DAYS},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def record_delete(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, need=Need.ADMIN)
    if request.method == "GET":  # the page names the client and shows parts of the record
        audit(action=AuditAction.VIEW, actor=request.user, client=client, request=request)
    form = DeleteForm(request.POST or None)
    refusal = deletion_refusal(client, today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        name = client.preferred_name
        try:
            client_delete(actor=request.user, client=client, request=request)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"{name}'s record was deleted. The audit trail remains.")
            return redirect("clients:caseload")
    return render(
        request,
        "clients/records/delete_form.html",
        {
            "client": client,
            "form": form,
            "refusal": refusal,
            "retention_ends_on": retention_ends_on(client),
        },
        status=400 if form.is_bound else 200,
    )
