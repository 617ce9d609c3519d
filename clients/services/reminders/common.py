"""What planning and dispatch share: which rows are open, and the client's quiet hours."""

import datetime
import zoneinfo
from dataclasses import dataclass

from clients.models import Client, ReminderStatus

# A reminder row still to send, or being sent.
OPEN = [ReminderStatus.QUEUED, ReminderStatus.SENDING]


@dataclass(frozen=True)
class ReminderPreferences:
    """What planning reads of a client (the planner reads plain values, not model rows);
    `in_quiet_hours` and `due_times` take it as they take a Client."""

    time_zone: str
    reminder_lead_minutes: int
    checkin_enabled: bool
    checkin_delay_minutes: int
    quiet_hours_start: datetime.time
    quiet_hours_end: datetime.time


def in_quiet_hours(moment: datetime.datetime, client: Client | ReminderPreferences) -> bool:
    start, end = client.quiet_hours_start, client.quiet_hours_end
    local = moment.astimezone(zoneinfo.ZoneInfo(client.time_zone)).time()
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # quiet hours across midnight, e.g. 21:00-08:00


def end_of_quiet_hours(
    moment: datetime.datetime, client: Client | ReminderPreferences
) -> datetime.datetime:
    """The first moment after `moment` when the client's quiet hours end (their local time)."""
    tz = zoneinfo.ZoneInfo(client.time_zone)
    local = moment.astimezone(tz)
    candidate = datetime.datetime.combine(local.date(), client.quiet_hours_end, tzinfo=tz)
    if candidate <= local:
        candidate += datetime.timedelta(days=1)
    return candidate.astimezone(datetime.UTC)
