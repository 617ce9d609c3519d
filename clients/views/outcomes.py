"""Outcome measures on the therapist's side: enter one, read its answers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from clients.forms.outcomes import InstrumentChoiceForm, MeasureForm, field_name
from clients.outcomes import INSTRUMENTS, instrument, summary
from clients.outcomes.scoring import Score
from clients.selectors import Need, get_client_for_user
from clients.selectors.access import measure_of_client
from clients.services import outcome_measure_record
from recovery.models import AuditAction
from recovery.services import audit


@require_http_methods(["GET", "POST"])
@login_required
def measure_new(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, need=Need.CLINICIAN)
    chooser = InstrumentChoiceForm(request.GET or None)
    key = request.POST.get("instrument") or request.GET.get("instrument")
    if key not in INSTRUMENTS:
        if request.method == "GET":
            audit(action=AuditAction.VIEW, actor=request.user, client=client, request=request)
        return render(
            request,
            "clients/measure_choose.html",
            {"client": client, "chooser": chooser, "instruments": INSTRUMENTS.values()},
            status=400 if request.method == "POST" else 200,
        )
    spec = instrument(key)
    form = MeasureForm(request.POST or None, instrument=spec)
    if request.method == "GET":
        audit(action=AuditAction.VIEW, actor=request.user, client=client, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            measure = outcome_measure_record(
                actor=request.user,
                client=client,
                instrument=key,
                responses=form.responses,
                administered_on=form.cleaned_data["administered_on"],
                request=request,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            result = Score(measure.total, measure.subscales, measure.band or None, [])
            flagged = (
                " The answer to item 9 needs your attention today." if (measure.safety_flag) else ""
            )
            messages.success(
                request, f"{spec.short_name} recorded: {summary(key, result)}.{flagged}"
            )
            return redirect(f"{reverse('clients:detail', args=[client.pk])}#measures-heading")
    return render(
        request,
        "clients/measure_form.html",
        {"client": client, "form": form, "spec": spec},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@login_required
def measure_detail(request: HttpRequest, pk: int, measure_pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk, need=Need.CLINICIAN)
    measure = measure_of_client(client, measure_pk)
    audit(action=AuditAction.VIEW, actor=request.user, client=client, obj=measure, request=request)
    spec = instrument(measure.instrument)
    answers = []
    for item in spec.items:
        raw = measure.responses.get(item.key)
        label = dict(item.choices).get(raw, raw) if item.choices else raw
        answers.append({"item": item, "answer": label, "raw": raw, "field": field_name(item)})
    return render(
        request,
        "clients/measure_detail.html",
        {"client": client, "measure": measure, "spec": spec, "answers": answers},
    )
