"""Signed-in sessions: when they start, how long they may live, and ending them.

Two limits, both enforced on the server by recovery.middleware.SessionTimeoutMiddleware:
`SESSION_IDLE_SECONDS` without a request, and `SESSION_COOKIE_AGE` from sign-in however busy
the session is. Each session keeps its sign-in time and its last activity as Unix seconds.

Ending a person's sessions deletes them from the session store, found through the
UserSession rows written at sign-in, so it works for any server-side session engine.
"""

from __future__ import annotations

import datetime
from importlib import import_module
from typing import Literal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.utils import timezone

from recovery.models import AuditAction, User, UserSession
from recovery.services import audit

SIGNED_IN_AT = "signed_in_at"
LAST_ACTIVITY = "last_activity"

Expiry = Literal["idle", "limit"]


def _store(session_key: str) -> SessionBase:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def now_seconds() -> float:
    # timezone.now() rather than time.time(): frozen by time-machine in tests the same way.
    return timezone.now().timestamp()


def user_session_start(*, request: HttpRequest, user: User) -> UserSession:
    """Called at sign-in, after Django gave the session a new key."""
    session = request.session
    now = now_seconds()
    session[SIGNED_IN_AT] = now
    session[LAST_ACTIVITY] = now
    if session.session_key is None:
        session.save()
    # Rows past the absolute limit name sessions that can no longer be used.
    oldest = timezone.now() - datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    UserSession.objects.filter(user=user, signed_in_at__lt=oldest).delete()
    tracked, _ = UserSession.objects.update_or_create(
        session_key=session.session_key, defaults={"user": user}
    )
    return tracked


def user_session_rekey(*, request: HttpRequest, user: User, old_key: str | None) -> None:
    """Follow the current session to the new key Django gave it (a password change)."""
    if old_key:
        UserSession.objects.filter(session_key=old_key).delete()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key, defaults={"user": user}
    )


def user_sessions_end(*, user: User, keep: str | None = None) -> int:
    """End every session of this person except `keep` (the current one, if it stays)."""
    rows = UserSession.objects.filter(user=user)
    if keep:
        rows = rows.exclude(session_key=keep)
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        _store(key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def user_sessions_open(*, user: User, exclude: str | None = None) -> int:
    """How many of this person's sessions could still be used (the security page shows it);
    a session past a limit that nobody has touched since still has its row and store entry."""
    rows = UserSession.objects.filter(user=user)
    if exclude:
        rows = rows.exclude(session_key=exclude)
    now = now_seconds()
    count = 0
    for key in rows.values_list("session_key", flat=True):
        data = _store(key).load()  # {} once the store has dropped it
        if data and session_expiry(data, now=now) is None:
            count += 1
    return count


def session_remaining(
    session: SessionBase | dict, *, now: float | None = None
) -> tuple[float, Expiry]:
    """Seconds this session has left, and which limit ends it first."""
    now = now_seconds() if now is None else now
    signed_in_at = session.get(SIGNED_IN_AT, now)
    last_activity = session.get(LAST_ACTIVITY, now)
    idle_left = last_activity + settings.SESSION_IDLE_SECONDS - now
    limit_left = signed_in_at + settings.SESSION_COOKIE_AGE - now
    if limit_left <= idle_left:
        return limit_left, "limit"
    return idle_left, "idle"


def session_expiry(session: SessionBase | dict, *, now: float | None = None) -> Expiry | None:
    remaining, reason = session_remaining(session, now=now)
    return reason if remaining <= 0 else None


def session_touch(session: SessionBase, *, now: float | None = None, force: bool = False) -> None:
    """Record activity. Writes at most once per 1/60 of the idle limit (15 s of 15 minutes)
    unless forced, so a burst of page loads does not rewrite the session row each time."""
    now = now_seconds() if now is None else now
    if SIGNED_IN_AT not in session:
        session[SIGNED_IN_AT] = now  # a session from before these limits: count from here
    last = session.get(LAST_ACTIVITY)
    if force or last is None or now - last >= settings.SESSION_IDLE_SECONDS / 60:
        session[LAST_ACTIVITY] = now


def session_expire(*, request: HttpRequest, reason: Expiry) -> None:
    """End the current session because a limit ran out. Not a sign-out: the person's other
    sessions (another computer) have their own limits and carry on."""
    user = request.user
    audit(action=AuditAction.SESSION_EXPIRED, actor=user, obj=user, request=request)
    if request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()
    request.session.flush()
    request.user = AnonymousUser()


def expiry_message(reason: Expiry) -> str:
    if reason == "limit":
        hours = round(settings.SESSION_COOKIE_AGE / 3600)
        return f"You were signed out: a session lasts at most {hours} hours. Please sign in again."
    seconds = settings.SESSION_IDLE_SECONDS
    span = f"{seconds} seconds" if seconds < 120 else f"{round(seconds / 60)} minutes"
    return f"You were signed out after {span} without activity. Please sign in again."
