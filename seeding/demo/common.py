"""Constants and small helpers shared by the demo builder and its stories."""

import datetime
import zoneinfo

from clients.models import (
    StageOfChange,
)
from groups.models import Meeting
from seeding.demo import content

SEED = 20260611
HISTORY_DAYS = 182
TZ = zoneinfo.ZoneInfo(content.PRACTICE_TIME_ZONE)
DAY_LETTERS = "UMTWRFS"  # Meeting Guide numbering: 0 is Sunday
DAY = datetime.timedelta(days=1)
Stage = StageOfChange


def local_time(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=TZ)


def meeting_label(meeting: Meeting) -> str:
    day = meeting.get_day_display()
    if meeting.name.endswith("Meeting"):
        return f"the {day} {meeting.name}"
    return f"the {day} {meeting.name} meeting"
