"""Therapist pages. Views parse the request, call one service or selector, and render."""

from clients.views.clients import caseload, client_add, client_detail, client_edit, ladder_move
from clients.views.dashboard import caseload_dashboard
from clients.views.meetings import (
    attendance_new,
    client_meeting,
    client_meetings,
    plan_end,
    plan_new,
)
from clients.views.notes import (
    note_addendum,
    note_autosave,
    note_detail,
    note_new,
    note_sections,
    note_suggestions,
)
from clients.views.outcomes import measure_detail, measure_new
from clients.views.records import (
    record_delete,
    record_disclosure_print,
    record_disclosures,
    record_erasure,
    record_export,
)
from clients.views.reminders import (
    client_reminders,
    consent_record,
    consent_withdraw,
    page_links_revoke,
)

__all__ = [
    "caseload_dashboard",
    "client_reminders",
    "consent_record",
    "consent_withdraw",
    "page_links_revoke",
    "attendance_new",
    "client_meeting",
    "client_meetings",
    "plan_end",
    "plan_new",
    "caseload",
    "client_add",
    "client_detail",
    "client_edit",
    "ladder_move",
    "measure_detail",
    "measure_new",
    "note_addendum",
    "note_autosave",
    "note_detail",
    "note_new",
    "note_sections",
    "note_suggestions",
    "record_delete",
    "record_disclosure_print",
    "record_disclosures",
    "record_erasure",
    "record_export",
]

# Appended: questionnaires sent to the client by email.
from clients.views.measure_requests import (  # noqa: E402
    measure_schedule,
    measure_schedule_stop_view,
    measure_send,
)

__all__ += ["measure_schedule", "measure_schedule_stop_view", "measure_send"]
