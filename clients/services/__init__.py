"""Writes to client records. Each service checks scope, validates, saves and audits."""

from clients.services.clients import client_create, client_update, ladder_move_record
from clients.services.consent import (
    DEFAULT_CONSENT_TEXT,
    email_consent_record,
    email_consent_withdraw,
    reminder_preferences_update,
)
from clients.services.notes import (
    MAX_SECTION_CHARS,
    NoteConflictError,
    addendum_create,
    session_note_create,
    session_note_save,
    session_note_sign,
    session_note_update,
)
from clients.services.outcomes import outcome_measure_record, outcome_measure_store
from clients.services.plans import attendance_record, meeting_plan_create, meeting_plan_end

__all__ = [
    "DEFAULT_CONSENT_TEXT",
    "email_consent_record",
    "email_consent_withdraw",
    "reminder_preferences_update",
    "MAX_SECTION_CHARS",
    "NoteConflictError",
    "addendum_create",
    "attendance_record",
    "client_create",
    "client_update",
    "ladder_move_record",
    "meeting_plan_create",
    "meeting_plan_end",
    "outcome_measure_record",
    "outcome_measure_store",
    "session_note_create",
    "session_note_save",
    "session_note_sign",
    "session_note_update",
]

# Appended: questionnaires sent to the client by email.
from clients.services.measure_requests import (  # noqa: E402
    measure_request_complete,
    measure_request_send,
    measure_requests_plan,
    measure_schedule_set,
    measure_schedule_stop,
)

__all__ += [
    "measure_request_complete",
    "measure_request_send",
    "measure_requests_plan",
    "measure_schedule_set",
    "measure_schedule_stop",
]
