"""The practice admin's staff page (invite, revoke, send again) and the invitation link."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery import invitations, two_factor
from recovery.forms import AcceptInvitationForm, InvitationForm
from recovery.models import Invitation, Role, User
from recovery.views import with_next


def _admin_only(request: HttpRequest) -> None:
    # Anyone else is told nothing: the page might as well not exist.
    if request.user.role != Role.ADMIN:
        raise Http404


def _practice_invitation(request: HttpRequest, pk: int) -> Invitation:
    _admin_only(request)
    return get_object_or_404(
        Invitation.objects.select_related("practice"), pk=pk, practice=request.user.practice
    )


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
@require_http_methods(["GET", "POST"])
def staff_list(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    practice = request.user.practice
    form = InvitationForm(request.POST or None)
    if form.is_valid():
        try:
            invitation = invitations.invitation_create(
                actor=request.user, practice=practice, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, f"An invitation is on its way to {invitation.email}.")
            return redirect("staff_list")
    staff = User.objects.filter(practice=practice, is_superuser=False).order_by("full_name")
    enrolled = set(
        TOTPDevice.objects.filter(user__in=staff, confirmed=True).values_list("user_id", flat=True)
    )
    return render(
        request,
        "staff/staff_list.html",
        {
            "form": form,
            "staff": [(member, member.pk in enrolled) for member in staff],
            "invitations": Invitation.objects.filter(practice=practice, accepted_at__isnull=True)
            .select_related("invited_by")
            .order_by("-created_at")[:100],
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _practice_invitation(request, pk)
    try:
        invitations.invitation_revoke(actor=request.user, invitation=invitation, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The invitation to {invitation.email} no longer works.")
    return redirect("staff_list")


@login_required
@require_POST
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _practice_invitation(request, pk)
    try:
        invitations.invitation_resend(actor=request.user, invitation=invitation, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"A new link is on its way to {invitation.email}; the old one stops working."
        )
    return redirect("staff_list")


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows the form (mail scanners open links); the POST makes the account."""
    invitation = invitations.invitation_for_token(token)
    if not invitations.is_usable(invitation):
        return render(
            request,
            "account/invitation_invalid.html",
            {"message": invitations.NO_LONGER_VALID},
            status=404,
        )
    if request.user.is_authenticated:
        return render(
            request,
            "account/invitation_accept.html",
            {"invitation": invitation, "signed_in_as": request.user},
            status=409 if request.method == "POST" else 200,
        )
    form = AcceptInvitationForm(invitations.new_member(invitation), request.POST or None)
    if form.is_valid():
        try:
            user = invitations.invitation_accept(
                invitation=invitation,
                password=form.cleaned_data["new_password1"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="recovery.backends.ModelBackendWithPractice")
            messages.success(request, f"Welcome to Recovery Bridge, {user.get_short_name()}.")
            if two_factor.is_required(user):
                return redirect(with_next("two_factor_enrol", reverse("home")))
            return redirect("home")
    return render(
        request,
        "account/invitation_accept.html",
        {"invitation": invitation, "form": form},
        status=400 if form.is_bound else 200,
    )
