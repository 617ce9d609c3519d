"""django-axes hooks: which email an attempt was for, and what a locked-out person sees."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from recovery.forms import SignInForm


def attempted_email(request: HttpRequest, credentials: dict | None) -> str | None:
    """The email an attempt was for, lower-cased as accounts store it, so that "Dana@" and
    "dana@" count against the same lockout."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = getattr(request, "POST", {}).get("username")
    return raw.strip().lower() if isinstance(raw, str) else None


def locked_out_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """The sign-in page again, with a calm explanation instead of the form's error.

    The same for an unknown email as for a real one, so it tells nobody whether an account
    exists. 429 Too Many Requests says what happened to anything that reads status codes.
    """
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    form = SignInForm(request, initial={"username": attempted_email(request, credentials)})
    return render(
        request,
        "registration/login.html",
        {"form": form, "locked_out": True, "lockout_minutes": minutes},
        status=429,
    )
