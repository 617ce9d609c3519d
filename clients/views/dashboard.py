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

from clients.forms.dashboard import DashboardFilters
from clients.models import OutcomeMeasure
from clients.selectors.dashboard import Period
from clients.selectors.dashboard import outcomes as dashboard_outcomes
from clients.selectors.dashboard.page import dashboard_figures, dashboard_page
from recovery.models import Role
from recovery.services import audit_listed


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
    start, end, therapist = filters.applied(today=timezone.localdate())
    period = Period(start=start, end=end)
    therapist = therapist or (user if user.role == Role.THERAPIST else None)
    table = request.GET.get("csv")
    if table is not None and table not in TABLES:
        raise Http404("No such table.")
    now = timezone.now()
    if table is not None:
        figures = dashboard_figures(user, period=period, therapist=therapist, only=table, now=now)
        _audit_phq9_listed(request, figures.get("phq9", (0, []))[1])
        spec = CSV_TABLES[table]
        return _csv(table, spec.header(figures), spec.rows(figures))
    context = dashboard_page(user, period=period, therapist=therapist, now=now)
    _audit_phq9_listed(request, context["outcomes"]["phq9"])
    query = request.GET.copy()
    query.pop("csv", None)
    return render(
        request,
        "clients/dashboard.html",
        {"filters": filters, "query": query.urlencode(), **context},
    )


def _audit_phq9_listed(request: HttpRequest, listed: list[dict]) -> None:
    # Named clients with a clinical figure beside each: a read of each one's record.
    audit_listed(
        actor=request.user,
        model=OutcomeMeasure,
        rows=[(row["client_id"], row["id"]) for row in listed],
        request=request,
    )
