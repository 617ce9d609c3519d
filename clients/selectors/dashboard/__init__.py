"""The caseload dashboard's figures. Every one is computed in the database, so the page runs
the same number of queries at 50 clients and at 5,000; reads only, names and figures, never
note text. By topic: scope (what a figure covers), engagement (caseloads, the ladder,
attendance, who is drifting), activity (themes, reminders, unsigned notes), outcomes
(outcome measures)."""

from clients.selectors.dashboard.activity import (
    months_of,
    reminders_summary,
    themes,
    unsigned_notes,
)
from clients.selectors.dashboard.engagement import (
    active_per_therapist,
    attendance_share,
    drifting,
    funnel,
)
from clients.selectors.dashboard.scope import Period, Scope, as_scope

__all__ = [
    "Period",
    "Scope",
    "active_per_therapist",
    "as_scope",
    "attendance_share",
    "drifting",
    "funnel",
    "months_of",
    "reminders_summary",
    "themes",
    "unsigned_notes",
]
