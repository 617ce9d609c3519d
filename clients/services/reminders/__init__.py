"""The reminder outbox: plan rows, claim them, send each at most once, mark the outcome.

The database row is the source of truth; Celery only drives it. planning writes the rows
(idempotently) and cancels them; dispatch claims due rows atomically, sends, and marks each
with one conditional UPDATE.
"""

from clients.services.reminders.common import (
    OPEN,
    ReminderPreferences,
    end_of_quiet_hours,
    in_quiet_hours,
)
from clients.services.reminders.dispatch import (
    Outcome,
    PermanentFailure,
    classify,
    reminder_deliver,
    reminders_claim,
    reminders_dispatch,
    retry_delay,
)
from clients.services.reminders.planning import (
    due_times,
    plans_to_remind,
    reminders_cancel,
    reminders_plan,
)

__all__ = [
    "OPEN",
    "Outcome",
    "PermanentFailure",
    "ReminderPreferences",
    "classify",
    "due_times",
    "end_of_quiet_hours",
    "in_quiet_hours",
    "plans_to_remind",
    "reminder_deliver",
    "reminders_cancel",
    "reminders_claim",
    "reminders_dispatch",
    "reminders_plan",
    "retry_delay",
]
