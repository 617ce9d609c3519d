"""Caseload, client pages and the ladder."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.answers import recent_client_reasons
from clients.filters import CaseloadFilter
from clients.forms import (
    AttendanceForm,
    ClientForm,
    LadderMoveForm,
)
from clients.matching import meetings_that_may_fit
from clients.models import Reminder
from clients.selectors import (
    caseload_annotate_page,
    caseload_for_user,
    client_timeline,
    get_client_for_user,
    latest_safety_flag,
    outcome_charts,
    plan_occurrences,
    theme_intensity_series,
)
from clients.services import (
    client_create,
    client_update,
    ladder_move_record,
)
from clients.views.common import form_errors_from
from recovery.models import AuditAction
from recovery.services import audit

CASELOAD_PAGE_SIZE = 25


# --- Caseload and clients -----------------------------------------------------------------


@require_GET
@login_required
def caseload(request: HttpRequest) -> HttpResponse:
    clients = caseload_for_user(request.user, include_discharged=True)
    filters = CaseloadFilter(request.GET, queryset=clients, user=request.user)
    page = Paginator(filters.qs, CASELOAD_PAGE_SIZE).get_page(request.GET.get("page"))
    caseload_annotate_page(page.object_list, now=timezone.now())
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "clients/caseload.html",
        {"filters": filters, "page": page, "query_string": query.urlencode()},
    )


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
    client = get_client_for_user(request.user, pk)
    audit(action=AuditAction.VIEW, actor=request.user, client=client, request=request)
    is_clinician = client.primary_therapist_id == request.user.pk
    full_history = request.GET.get("history") == "all"
    timeline = client_timeline(client, limit=1000 if full_history else 20)
    current_step = client.ladder_moves.first()
    charts = outcome_charts(client)
    context = {
        "client": client,
        # Note text is for the client's own therapist; others see that notes exist.
        "is_clinician": is_clinician,
        "timeline": timeline,
        "full_history": full_history,
        "current_step": current_step,
        "chart": theme_intensity_series(client),
        "outcome_charts": charts,
        "safety_flag": latest_safety_flag(charts),
        "missed_reasons": recent_client_reasons(client),
        "ladder_form": LadderMoveForm(initial={"step": current_step.step if current_step else 1})
        if is_clinician
        else None,
        "drafts": client.session_notes.filter(status="draft").order_by("-session_date")
        if is_clinician
        else [],
        "occurrences": plan_occurrences(client, now=timezone.now()),
        "reminders": Reminder.objects.of_client(client).order_by("-due_at")[:6],
        "page_changes": client.page_changes.all()[:5],
        "now": timezone.now(),
        "attendance_choices": AttendanceForm.base_fields["status"].choices,
        "reason_choices": AttendanceForm.base_fields["reason"].choices,
        "suggestions": meetings_that_may_fit(
            client,
            today=timezone.localdate(),
            current_step=current_step.step if current_step else None,
        )
        if client.is_active
        else [],
        "ladder_offer": _ladder_offer(request, current_step) if is_clinician else None,
    }
    return render(request, "clients/client_detail.html", context)


def _ladder_offer(request: HttpRequest, current_step) -> dict | None:
    """After a first attendance of a new kind, offer the matching ladder step: the therapist
    confirms; nothing moves by itself."""
    form = LadderMoveForm(
        {"step": request.GET.get("offer_step"), "reached_on": request.GET.get("offer_on")}
    )
    if "offer_step" not in request.GET or not form.is_valid():
        return None
    step = form.cleaned_data["step"]
    if current_step and current_step.step >= step:
        return None
    return {"step": step, "reached_on": form.cleaned_data["reached_on"]}


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
