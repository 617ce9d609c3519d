import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from recovery import sessions, two_factor
from recovery.forms import ChangePasswordForm, EnrolForm, SignInForm, VerifyForm
from recovery.middleware import not_activity
from recovery.models import AuditAction
from recovery.services import audit

# Backup codes wait here, between the POST that made them and the page that shows them once.
FRESH_BACKUP_CODES = "fresh_backup_codes"


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        url = super().get_success_url()
        user = self.request.user
        # A fresh session is never verified yet: the second factor comes next when needed.
        if two_factor.is_required(user):
            target = "two_factor_verify" if two_factor.has_device(user) else "two_factor_enrol"
            return with_next(target, url)
        return url


class SignOutView(auth_views.LogoutView):
    # Signing out ends this person's other sessions too (recovery.receivers).
    pass


@login_required
def home(request):
    # A therapist starts from their caseload, a manager or admin from the practice dashboard.
    if request.user.sees_whole_practice:
        return redirect("clients:dashboard")
    return redirect("clients:caseload")


def with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _next_url(request: HttpRequest, default: str = "home") -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(default)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of sign-in: a code from the app or a backup code."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not two_factor.has_device(user):
        return redirect(with_next("two_factor_enrol", _next_url(request)))
    form = VerifyForm(request.POST or None)
    if form.is_valid():
        try:
            device = two_factor.session_verify(request=request, code=form.cleaned_data["code"])
        except two_factor.TooManyAttempts:
            form.add_error(None, "Too many wrong codes in a row. Wait a moment, then try again.")
        else:
            if device is not None:
                return redirect(_next_url(request))
            form.add_error("code", "That code did not work. Check it and try again.")
    return render(
        request, "account/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app (or replace the one set up before)."""
    user = request.user
    # Whoever has a device proves it before they may swap it: otherwise a stolen password
    # alone could enrol the thief's phone.
    if two_factor.has_device(user) and not user.is_verified():
        return redirect(with_next("two_factor_verify", request.path))
    device = two_factor.totp_device_pending(user=user)
    form = EnrolForm(request.POST or None)
    if form.is_valid():
        try:
            enrolment = two_factor.totp_device_confirm(
                request=request, device=device, code=form.cleaned_data["code"]
            )
        except two_factor.TooManyAttempts:
            form.add_error(None, "Too many wrong codes in a row. Wait a moment, then try again.")
        else:
            if enrolment is not None:
                request.session[FRESH_BACKUP_CODES] = enrolment.backup_codes
                messages.success(request, "Two-factor sign-in is on.")
                return redirect(with_next("two_factor_backup_codes", _next_url(request)))
            form.add_error(
                "code", "That code did not work. Check the app's clock is right and try again."
            )
    return render(
        request,
        "account/two_factor_enrol.html",
        {
            "form": form,
            "qr_svg": two_factor.qr_svg(device),
            "secret": two_factor.secret_for_typing(device),
            "replacing": two_factor.authenticator(user) is not None,
            "next": _next_url(request),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_backup_codes(request: HttpRequest) -> HttpResponse:
    """Shows new backup codes once. A POST makes a new set; the page after shows them."""
    if not (request.user.is_verified() and two_factor.authenticator(request.user)):
        messages.info(request, "Set up an authenticator app first; backup codes come with it.")
        return redirect("account_security")
    if request.method == "POST":
        request.session[FRESH_BACKUP_CODES] = two_factor.backup_codes_replace(request=request)
        return redirect("two_factor_backup_codes")
    codes = request.session.pop(FRESH_BACKUP_CODES, None)
    if codes is None:
        return redirect("account_security")
    return render(
        request,
        "account/backup_codes.html",
        {"codes": codes, "next": _next_url(request, default="account_security")},
    )


@never_cache
@login_required
@require_GET
def account_security(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "account/security.html",
        {
            "authenticator": two_factor.authenticator(user),
            "backup_codes_left": two_factor.backup_codes_left(user),
            "required": settings.REQUIRE_2FA,
            "other_sessions": sessions.user_sessions_open(
                user=user, exclude=request.session.session_key
            ),
        },
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ChangePasswordForm
    template_name = "account/password_change.html"
    success_url = reverse_lazy("account_security")

    def form_valid(self, form):
        old_key = self.request.session.session_key
        # Django saves the password and gives this session a new key, keeping it signed in.
        response = super().form_valid(form)
        user = form.user
        sessions.user_session_rekey(request=self.request, user=user, old_key=old_key)
        ended = sessions.user_sessions_end(user=user, keep=self.request.session.session_key)
        audit(action=AuditAction.PASSWORD_CHANGED, actor=user, obj=user, request=self.request)
        note = " You were signed out everywhere else." if ended else ""
        messages.success(self.request, f"Your password was changed.{note}")
        return response


def _session_state(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"remaining": 0}, status=401)
    remaining, reason = sessions.session_remaining(request.session)
    # Rounded up: 0 only once the middleware has ended the session (and answered 401).
    return JsonResponse({"remaining": max(0, math.ceil(remaining)), "ends_by": reason})


@not_activity
@never_cache
@require_GET
def session_status(request: HttpRequest) -> JsonResponse:
    """How long this session has left. idle.js asks before it warns or signs out, so activity
    in another tab is seen. Asking is not activity (SessionTimeoutMiddleware)."""
    return _session_state(request)


@never_cache
@require_POST
def session_keepalive(request: HttpRequest) -> JsonResponse:
    """ "Stay signed in": counts as activity, so the idle time starts again."""
    if request.user.is_authenticated:
        sessions.session_touch(request.session, force=True)
    return _session_state(request)
