"""Reads behind the links in a client's emails: the reminder a signed link names, and what is
already recorded for its meeting. No login: the signed, purpose-bound token is the key."""

from clients.models import Attendance, AttendanceStatus, Reminder
from clients.tokens import BadLink, read_token


def reminder_for_link(purpose: str, token: str) -> Reminder | None:
    """The reminder a link of this purpose names, or None for a bad, expired or foreign link
    (a token made for another purpose is a bad link here)."""
    try:
        reminder_id = read_token(purpose, token)
    except BadLink:
        return None
    return (
        Reminder.objects.select_related(
            "plan__client__practice",
            "plan__meeting__program",
            "measure_request__client__practice",
        )
        .filter(pk=reminder_id)
        .first()
    )


def recorded_answer(reminder: Reminder) -> Attendance | None:
    """What is recorded for the reminder's meeting, by the client or their therapist, if
    anything beyond the plan."""
    return (
        Attendance.objects.filter(plan=reminder.plan, occurrence_start=reminder.occurrence_start)
        .exclude(status=AttendanceStatus.PLANNED)
        .first()
    )
