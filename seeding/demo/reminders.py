"""Keeps reminders visibly flowing in the demo: on every `make run`, one consenting client has
an online meeting starting within the hour, so the worker prints a reminder email (console
backend) within a minute or two of start-up."""

import datetime
import zoneinfo

from django.db import transaction

from clients.models import Client, ClientStatus, MeetingPlan, Recurrence
from clients.services.reminders import reminders_plan
from groups.models import AttendanceOption, Meeting, Program
from recovery.models import Practice

DEMO_MEETING = "Evening Check-in Circle"


@transaction.atomic
def demo_reminders_refresh(*, practice: Practice, now: datetime.datetime) -> Client | None:
    client = (
        Client.objects.filter(
            practice=practice,
            status=ClientStatus.ACTIVE,
            email_consent_at__isnull=False,
            email_consent_withdrawn_at__isnull=True,
        )
        .order_by("preferred_name", "id")
        .first()
    )
    if client is None:
        return None
    # No quiet hours for this one client, so the demo shows a reminder at any hour.
    client.quiet_hours_start = client.quiet_hours_end = datetime.time(0, 0)
    client.save(update_fields=["quiet_hours_start", "quiet_hours_end"])

    tz = zoneinfo.ZoneInfo(practice.time_zone)
    soon = (now + datetime.timedelta(minutes=50)).astimezone(tz)
    soon = soon.replace(minute=soon.minute - soon.minute % 5, second=0, microsecond=0)
    meeting, _created = Meeting.objects.update_or_create(
        name=DEMO_MEETING,
        feed=None,
        defaults={
            "program": Program.objects.get(key="SMART"),
            "day": (soon.weekday() + 1) % 7,
            "start_time": soon.time(),
            "end_time": (soon + datetime.timedelta(hours=1)).time(),
            "time_zone": practice.time_zone,
            "attendance_option": AttendanceOption.ONLINE,
            "conference_url": "https://meet.example.org/check-in-circle",
            "types": ["O", "D"],
            "notes": "A demo meeting: each `make run` moves it to the coming hour.",
        },
    )
    MeetingPlan.objects.update_or_create(
        client=client,
        meeting=meeting,
        recurrence=Recurrence.ONCE,
        defaults={
            "starts_on": soon.date(),
            "created_by": client.primary_therapist,
            "cancelled_at": None,
        },
    )
    reminders_plan(now=now)
    return client
