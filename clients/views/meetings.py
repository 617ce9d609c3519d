"""Meetings for one client: search from their preferences, plan, record attendance."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from clients.forms import AttendanceForm, MeetingPlanForm
from clients.models import AttendancePreference, Client
from clients.selectors import get_client_for_user
from clients.selectors.access import plan_of_client
from clients.services import attendance_record, meeting_plan_create, meeting_plan_end
from groups.places import in_unit
from groups.queries import next_occurrences
from groups.selectors import meeting_by_id, meeting_page, meeting_search
from recovery.models import AuditAction
from recovery.rendering import render_page_or_fragment
from recovery.services import audit
from recovery.text import end_sentence

# The catalogue's search templates (groups.views): the page, and the results htmx swaps in.
SEARCH_PAGE = "groups/meeting_list.html"
SEARCH_RESULTS = "groups/partials/meeting_results.html"


def search_defaults(client: Client) -> dict:
    """The meeting filters a client's preferences suggest."""
    defaults = {
        "day": client.available_days,
        "language": client.language,
        "attendance": {
            AttendancePreference.ONLINE: ["online", "hybrid"],
            AttendancePreference.IN_PERSON: ["in_person", "hybrid"],
        }.get(client.attendance_preference, []),
    }
    if client.attendance_preference == AttendancePreference.IN_PERSON and (
        client.latitude is not None
    ):
        defaults["near"] = client.place_name or f"{client.latitude:g}, {client.longitude:g}"
        if client.max_distance_km:
            unit = client.practice.distance_unit
            defaults["within"] = max(round(in_unit(client.max_distance_km, unit)), 1)
    return defaults


@require_GET
@login_required
def client_meetings(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk)
    audit(action=AuditAction.VIEW, actor=request.user, client=client, request=request)
    context = meeting_search(
        request.user, request.GET, initial=search_defaults(client), action=request.path
    )
    context["client"] = client
    return render_page_or_fragment(request, context, page=SEARCH_PAGE, fragment=SEARCH_RESULTS)


@require_GET
@login_required
def client_meeting(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk)
    context = meeting_page(meeting_pk)
    meeting = context["meeting"]
    audit(action=AuditAction.VIEW, actor=request.user, client=client, request=request)
    upcoming = next_occurrences(meeting, now=timezone.now(), count=1)
    plan_form = None
    if client.primary_therapist_id == request.user.pk and meeting.is_active:
        plan_form = MeetingPlanForm(
            initial={"starts_on": timezone.localtime(upcoming[0]).date()} if upcoming else None
        )
    context |= {"client": client, "plan_form": plan_form}
    return render(request, "groups/meeting_detail.html", context)


@require_POST
@login_required
def plan_new(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk)
    meeting = meeting_by_id(meeting_pk)
    form = MeetingPlanForm(request.POST)
    if form.is_valid():
        try:
            meeting_plan_create(
                actor=request.user,
                client=client,
                meeting=meeting,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, end_sentence(f"{meeting.name} is planned with {client.preferred_name}")
            )
            return redirect("clients:detail", pk=client.pk)
    context = meeting_page(meeting) | {"client": client, "plan_form": form}
    return render(request, "groups/meeting_detail.html", context, status=400)


@require_POST
@login_required
def plan_end(request: HttpRequest, pk: int, plan_pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk)
    plan = plan_of_client(client, plan_pk)
    meeting_plan_end(actor=request.user, plan=plan, request=request)
    messages.success(request, f"The plan for {plan.meeting.name} has ended.")
    return redirect("clients:detail", pk=client.pk)


@require_POST
@login_required
def attendance_new(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request.user, pk)
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Attendance was not recorded: the form was incomplete.")
        return redirect("clients:detail", pk=client.pk)
    plan = plan_of_client(client, form.cleaned_data["plan"])
    try:
        attendance, offer = attendance_record(
            actor=request.user,
            plan=plan,
            request=request,
            occurrence_start=form.cleaned_data["occurrence"],
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        messages.error(request, "Attendance was not recorded: " + " ".join(error.messages))
        return redirect("clients:detail", pk=client.pk)
    except PermissionDenied:
        raise
    messages.success(request, f"Recorded: {attendance.get_status_display().lower()}.")
    url = reverse("clients:detail", args=[client.pk])
    if offer:
        day = timezone.localtime(attendance.occurrence_start).date()
        url += f"?offer_step={offer}&offer_on={day.isoformat()}#ladder-offer"
    return redirect(url)
