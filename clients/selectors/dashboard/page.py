"""The dashboard page and its CSV files: the figures a request asks for, each computed once."""

import datetime

from django.conf import settings
from django.utils import timezone

from clients.selectors.dashboard import outcomes
from clients.selectors.dashboard.activity import reminders_summary, themes, unsigned_notes
from clients.selectors.dashboard.engagement import (
    active_per_therapist,
    attendance_share,
    drifting,
    funnel,
)
from clients.selectors.dashboard.scope import Period, Scope
from groups.feeds import stale_feeds
from groups.models import Feed
from recovery.models import Role, User

# The page lists the 50 longest unseen and the 50 highest PHQ-9s; a CSV file has everyone.
DRIFTING_SHOWN = 50
PHQ9_SHOWN = 50

FIGURES = (
    "therapists",
    "funnel",
    "attendance",
    "drifting",
    "themes",
    "reminders",
    "unsigned",
    "measured",
    "barc10",
    "phq9",
)


def dashboard_figures(
    user: User,
    *,
    period: Period,
    therapist: User | None,
    only: str | None = None,
    now: datetime.datetime,
) -> dict:
    """Each figure for the user's practice (or `therapist`'s caseload), or only the one named:
    a CSV file needs its own table alone, with every row."""
    today = timezone.localdate(now)
    scope = Scope.of(user, therapist=therapist)
    whole = only is not None
    compute = {
        "therapists": lambda: active_per_therapist(user.practice_id, therapist),
        "funnel": lambda: funnel(scope, period),
        "attendance": lambda: attendance_share(scope, today=today),
        "drifting": lambda: drifting(scope, now=now, limit=None if whole else DRIFTING_SHOWN),
        "themes": lambda: themes(scope, period),
        "reminders": lambda: reminders_summary(scope, now=now),
        # Drafts are their author's to sign, whoever's caseload the client is on now.
        "unsigned": lambda: unsigned_notes(
            Scope.of(user, therapist=None), author=therapist, now=now
        ),
        "measured": lambda: outcomes.measured_recently(scope.clients, today=today),
        "barc10": lambda: outcomes.barc10_change(scope.clients),
        "phq9": lambda: outcomes.phq9_concerns(scope, limit=None if whole else PHQ9_SHOWN),
    }
    return {name: figure() for name, figure in compute.items() if only in (None, name)}


def dashboard_page(
    user: User, *, period: Period, therapist: User | None, now: datetime.datetime
) -> dict:
    """What the dashboard's template shows: every figure, its charts' data, and the practice's
    feeds that have stopped refreshing."""
    figures = dashboard_figures(user, period=period, therapist=therapist, now=now)
    phq9_total, phq9 = figures.pop("phq9")
    figures["outcomes"] = {
        "measured": figures.pop("measured"),
        "barc10": figures.pop("barc10"),
        "phq9": phq9,
        "phq9_total": phq9_total,
        "recent_days": outcomes.RECENT_DAYS,
    }
    figures["charts"] = {
        "funnel": {
            "labels": [row["label"] for row in figures["funnel"]["rows"]],
            "values": [row["clients"] for row in figures["funnel"]["rows"]],
        },
        "attendance": {
            "labels": [row["week_ending"].isoformat() for row in figures["attendance"]],
            "values": [row["share"] for row in figures["attendance"]],
        },
        "themes": {
            "labels": [row["theme__name"] for row in figures["themes"]["overall"]],
            "values": [row["times"] for row in figures["themes"]["overall"]],
        },
    }
    figures["drifting_total"], figures["drifting"] = figures["drifting"]
    # The practice's own feeds that have not refreshed: its searches grow out of date.
    figures["stale_feeds"] = (
        []
        if user.role == Role.THERAPIST
        else list(
            stale_feeds(Feed.objects.filter(practice_id=user.practice_id), now=now).only(
                "pk", "name", "last_checked_at", "last_error"
            )
        )
    )
    figures["period"] = period
    figures["unsigned_hours"] = settings.UNSIGNED_NOTE_HOURS
    figures["stale_hours"] = settings.FEED_STALE_HOURS
    return figures
