"""Caseload, client pages and the ladder."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.forms import (
    ClientForm,
    LadderMoveForm,
)
from clients.selectors import get_client_for_user
from clients.selectors.caseload import caseload_page
from clients.selectors.client_page import client_page
from clients.services import (
    client_create,
    client_update,
    ladder_move_record,
)
from clients.views.common import form_errors_from
from recovery.models import AuditAction
from recovery.services import audit

# --- Caseload and clients -----------------------------------------------------------------


@require_GET
@login_required
def caseload(request: HttpRequest) -> HttpResponse:
    context = caseload_page(request.user, request.GET, now=timezone.now())
    return render(request, "clients/caseload.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def client_add(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            client = client_create(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{client.preferred_name} was added.")
            return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/client_form.html", {"form": form, "client": None})


@require_http_methods(["GET", "POST"])
@login_required
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk)
    if request.method == "GET":
        audit(action=AuditAction.VIEW, actor=request.user, client=client, request=request)
    form = ClientForm(request.POST or None, instance=client, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            client_update(actor=request.user, client=client, request=request, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Client details saved.")
            return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/client_form.html", {"form": form, "client": client})


@require_GET
@login_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    context = client_page(request.user, pk, params=request.GET, now=timezone.now())
    audit(action=AuditAction.VIEW, actor=request.user, client=context["client"], request=request)
    return render(request, "clients/client_detail.html", context)


@require_POST
@login_required
def ladder_move(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk)
    form = LadderMoveForm(request.POST)
    if form.is_valid():
        try:
            ladder_move_record(
                actor=request.user, client=client, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Ladder step recorded.")
            return redirect("clients:detail", pk=client.pk)
    messages.error(
        request,
        "The ladder step was not recorded: "
        + "; ".join(str(message) for errors in form.errors.values() for message in errors),
    )
    return redirect("clients:detail", pk=client.pk)
