"""`make run` shows a reminder flowing: seed_demo keeps one meeting within the hour."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command

from clients.models import MeetingPlan, Reminder, ReminderKind
from groups.models import Meeting
from seeding.demo.reminders import DEMO_MEETING

# A late evening, inside everyone else's default quiet hours.
NOW = datetime.datetime(2026, 11, 28, 3, 10, tzinfo=datetime.UTC)

# The demo is a laptop's: seed_demo refuses to run with DEBUG off.
pytestmark = pytest.mark.usefixtures("development")


@pytest.mark.django_db
def test_seed_demo_leaves_a_reminder_due_now_for_a_meeting_within_the_hour():
    with time_machine.travel(NOW, tick=False):
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        call_command("seed_demo", stdout=out)
    assert Meeting.objects.filter(name=DEMO_MEETING).count() == 1
    plan = MeetingPlan.objects.get(meeting__name=DEMO_MEETING)
    reminder = Reminder.objects.get(plan=plan, kind=ReminderKind.BEFORE)
    assert NOW < reminder.occurrence_start <= NOW + datetime.timedelta(hours=1)
    assert reminder.due_at <= NOW + datetime.timedelta(minutes=1)
    assert plan.client.has_email_consent
    assert "watch the worker's output" in out.getvalue()
