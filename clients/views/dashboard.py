"""The caseload dashboard: a manager's whole practice, or a therapist's own caseload."""

import csv
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from clients import dashboard, dashboard_outcomes
from clients.forms.dashboard import DEFAULT_PERIOD, DashboardFilters
from clients.models import OutcomeMeasure
from groups.feeds import stale_feeds
from groups.models import Feed
from recovery.models import Role
from recovery.services import audit_listed

DRIFTING_SHOWN = 50
PHQ9_SHOWN = 50


def neutralise(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _csv(name: str, header: list[str], rows: list[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dashboard-{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return response


@dataclass(frozen=True)
class CsvTable:
    """One figure's CSV file: its header, and its rows from the figure as computed."""

    header: Callable[[dict], list[str]]
    rows: Callable[[dict], list[list]]


def _drifting_row(row: dict) -> list:
    client = row["client"]
    return [
        client.preferred_name,
        client.primary_therapist.full_name,
        client.last_session,
        "; ".join(row["reasons"]),
    ]


def _phq9_row(row: dict) -> list:
    flag = "yes" if row["safety_flag"] else "no"
    return [
        row["client_name"],
        row["therapist"],
        row["administered_on"],
        row["total"],
        row["band"],
        flag,
    ]


CSV_TABLES = {
    "therapists": CsvTable(
        lambda f: ["therapist", "active clients"],
        lambda f: [[r["full_name"], r["active"]] for r in f["therapists"]],
    ),
    "funnel": CsvTable(
        lambda f: ["step", "ladder step", "clients"],
        lambda f: [[r["step"], r["label"], r["clients"]] for r in f["funnel"]["rows"]],
    ),
    "attendance": CsvTable(
        lambda f: ["week ending", "active clients", "attended a meeting", "share %"],
        lambda f: [
            [r["week_ending"], r["active"], r["attended"], r["share"]] for r in f["attendance"]
        ],
    ),
    "drifting": CsvTable(
        lambda f: ["client", "therapist", "last session", "why"],
        lambda f: [_drifting_row(r) for r in f["drifting"][1]],
    ),
    "themes": CsvTable(
        lambda f: [
            "theme",
            "times voiced",
            "average intensity",
            *(f"{month:%Y-%m}" for month in f["themes"]["months"]),
        ],
        lambda f: [
            [r["theme__name"], r["times"], round(r["intensity"], 2), *r["by_month"]]
            for r in f["themes"]["overall"]
        ],
    ),
    "reminders": CsvTable(
        lambda f: ["reminders in the last 30 days", "count"],
        lambda f: [
            ["sent", f["reminders"]["sent"]],
            ["failed", f["reminders"]["failed"]],
            ["answered by clients", f["reminders"]["answered"]],
        ],
    ),
    "unsigned": CsvTable(
        lambda f: ["therapist", f"notes unsigned after {settings.UNSIGNED_NOTE_HOURS} hours"],
        lambda f: [[r["author__full_name"], r["notes"]] for r in f["unsigned"]],
    ),
    "measured": CsvTable(
        lambda f: [
            "active clients",
            f"measured in the last {dashboard_outcomes.RECENT_DAYS} days",
            "share %",
            "since",
        ],
        lambda f: [
            [
                f["measured"]["active"],
                f["measured"]["measured"],
                f["measured"]["share"],
                f["measured"]["since"],
            ]
        ],
    ),
    "barc10": CsvTable(
        lambda f: ["therapist", "clients with two or more", "median change"],
        lambda f: [[r["therapist"], r["clients"], r["median"]] for r in f["barc10"]],
    ),
    "phq9": CsvTable(
        lambda f: ["client", "therapist", "date", "total", "band", "safety flag"],
        lambda f: [_phq9_row(r) for r in f["phq9"][1]],
    ),
}
TABLES = tuple(CSV_TABLES)


@require_GET
@login_required
def caseload_dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    filters = DashboardFilters(request.GET or None, user=user)
    # A filter with an error is shown with it and falls back to its default (both ends of the
    # period together); the others still apply, to the page and its CSV files alike.
    data = {}
    if filters.is_bound:
        filters.is_valid()  # cleaned_data then holds every field without an error
        data = dict(filters.cleaned_data)
        if "start" in filters.errors or "end" in filters.errors:
            data.pop("start", None)
            data.pop("end", None)
    today = timezone.localdate()
    period = dashboard.Period(
        start=data.get("start") or today - DEFAULT_PERIOD, end=data.get("end") or today
    )
    therapist = data.get("therapist") or (user if user.role == Role.THERAPIST else None)
    table = request.GET.get("csv")
    if table is not None and table not in TABLES:
        raise Http404("No such table.")
    scope = dashboard.Scope.of(user, therapist=therapist)
    now = timezone.now()
    # The page lists the 50 longest unseen and the 50 highest PHQ-9s; a CSV has everyone.
    limit = None if table else DRIFTING_SHOWN
    phq9_limit = None if table else PHQ9_SHOWN
    # Each figure, computed only when asked for: a CSV file needs its own table alone.
    compute = {
        "therapists": lambda: dashboard.active_per_therapist(user.practice_id, therapist),
        "funnel": lambda: dashboard.funnel(scope, period),
        "attendance": lambda: dashboard.attendance_share(scope, today=today),
        "drifting": lambda: dashboard.drifting(scope, now=now, limit=limit),
        "themes": lambda: dashboard.themes(scope, period),
        "reminders": lambda: dashboard.reminders_summary(scope, now=now),
        # Drafts are their author's to sign, whoever's caseload the client is on now.
        "unsigned": lambda: dashboard.unsigned_notes(
            dashboard.Scope.of(user, therapist=None), author=therapist, now=now
        ),
        "measured": lambda: dashboard_outcomes.measured_recently(scope.clients, today=today),
        "barc10": lambda: dashboard_outcomes.barc10_change(scope.clients),
        "phq9": lambda: dashboard_outcomes.phq9_concerns(scope, limit=phq9_limit),
    }
    figures = {name: figure() for name, figure in compute.items() if table in (None, name)}
    # Named clients with a clinical figure beside each: a read of each one's record.
    _phq9_total, listed = figures.get("phq9", (0, []))
    audit_listed(
        actor=user,
        model=OutcomeMeasure,
        rows=[(row["client_id"], row["id"]) for row in listed],
        request=request,
    )
    if table is not None:
        return _export(table, figures)
    phq9_total, phq9 = figures.pop("phq9")
    figures["outcomes"] = {
        "measured": figures.pop("measured"),
        "barc10": figures.pop("barc10"),
        "phq9": phq9,
        "phq9_total": phq9_total,
        "recent_days": dashboard_outcomes.RECENT_DAYS,
    }
    charts = {
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
    query = request.GET.copy()
    query.pop("csv", None)
    return render(
        request,
        "clients/dashboard.html",
        {
            "filters": filters,
            "period": period,
            "charts": charts,
            "query": query.urlencode(),
            "unsigned_hours": settings.UNSIGNED_NOTE_HOURS,
            # The practice's own feeds that have not refreshed: its searches grow out of date.
            "stale_feeds": []
            if user.role == Role.THERAPIST
            else list(
                stale_feeds(Feed.objects.filter(practice_id=user.practice_id), now=now).only(
                    "pk", "name", "last_checked_at", "last_error"
                )
            ),
            "stale_hours": settings.FEED_STALE_HOURS,
            **figures,
        },
    )


def _export(table: str, figures: dict) -> HttpResponse:
    spec = CSV_TABLES[table]
    return _csv(table, spec.header(figures), spec.rows(figures))
