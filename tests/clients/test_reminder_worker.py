"""The reminder tasks, in process and in a real Celery worker fed through the real Redis."""

import datetime
import os
import subprocess
import sys
import time
import uuid
import zoneinfo
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from clients.emails import reminder_message_id
from clients.models import Reminder, ReminderKind, ReminderStatus
from clients.tasks import dispatch_reminders, plan_reminders
from recovery.celery import app

ROOT = Path(__file__).resolve().parents[2]
UTC = datetime.UTC
# Tuesday 7 April 2026, 17:00 in New York: two hours before the factory's meeting.
SEND_AT = datetime.datetime(2026, 4, 7, 21, 0, tzinfo=UTC)
TUESDAY_EVENING = datetime.datetime(2026, 4, 7, 23, 0, tzinfo=UTC)


def test_beat_plans_every_five_minutes_and_dispatches_every_minute():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["plan-reminders"] == {"task": plan_reminders.name, "schedule": 5 * 60}
    assert schedule["dispatch-reminders"] == {"task": dispatch_reminders.name, "schedule": 60}
    assert {plan_reminders.name, dispatch_reminders.name} <= set(app.tasks)


def test_the_dispatch_task_sends_what_is_due_and_reports_the_outcome(smtp_sink, make_plan):
    reminder = Reminder.objects.create(
        plan=make_plan(),
        occurrence_start=TUESDAY_EVENING,
        kind=ReminderKind.BEFORE,
        due_at=SEND_AT,
    )

    with time_machine.travel(SEND_AT, tick=False):
        result = dispatch_reminders.apply().get()

    assert result == {"sent": 1, "retried": 0, "failed": 0, "cancelled": 0, "skipped": 0}
    assert Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.SENT
    assert len(smtp_sink.messages) == 1


def wait_for(predicate, *, timeout: float, what: str, log: Path):
    """Poll a real process's side effect; real processes take real time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.25)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
    pytest.fail(f"Timed out after {timeout:.0f}s waiting for {what}. Worker log:\n{tail}")


def meeting_fields_starting_in(delta: datetime.timedelta, time_zone: str) -> dict:
    """A weekly meeting whose next occurrence is `delta` from now (to the minute)."""
    start = (timezone.now() + delta).astimezone(zoneinfo.ZoneInfo(time_zone))
    start = start.replace(second=0, microsecond=0)
    return {
        "day": (start.weekday() + 1) % 7,  # Meeting Guide counts from Sunday
        "start_time": start.time(),
        "end_time": (start + datetime.timedelta(hours=1)).time(),
        "time_zone": time_zone,
    }


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="set REDIS_URL to test with Redis")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_plans_and_sends_a_reminder_through_redis(
    tmp_path, smtp_server, consenting_client, make_plan
):
    """`celery worker` as its own process, the real Redis, the test database, real SMTP."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a database it can share: run with DATABASE_URL")
    # A meeting 40 minutes from now: inside the two-hour lead time, so its reminder is due at
    # once. No quiet hours, whatever the hour this test runs at; no check-in to wait for.
    consenting_client.quiet_hours_start = consenting_client.quiet_hours_end = datetime.time(0)
    consenting_client.checkin_enabled = False
    consenting_client.save()
    plan = make_plan(
        starts_on=timezone.now().date() - datetime.timedelta(days=1),
        **meeting_fields_starting_in(datetime.timedelta(minutes=40), "America/New_York"),
    )

    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    queue = f"test-reminders-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        # The worker reads and writes this test's own database.
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        # A queue of its own, so a dev worker sharing this Redis cannot take our tasks.
        "CELERY_QUEUE": queue,
        "EMAIL_HOST": smtp_server.host,
        "EMAIL_PORT": str(smtp_server.port),
        "EMAIL_TIMEOUT": "5",
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "recovery.settings",
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "recovery", "worker"),
                *("--pool=solo", "--without-mingle", "--without-gossip", "--loglevel=INFO"),
                *("--hostname", f"reminders-test-{uuid.uuid4().hex[:8]}@%h"),
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        plan_reminders.apply_async(queue=queue)
        reminder = wait_for(
            lambda: Reminder.objects.filter(plan=plan, kind=ReminderKind.BEFORE).first(),
            timeout=60,
            what="the worker to plan the reminder",
            log=log,
        )
        dispatch_reminders.apply_async(queue=queue)
        wait_for(
            lambda: smtp_server.received,
            timeout=60,
            what="the reminder to reach the SMTP server",
            log=log,
        )
        wait_for(
            lambda: Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.SENT,
            timeout=30,
            what="the worker to mark the reminder sent",
            log=log,
        )
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()

    [received] = smtp_server.received
    assert received.rcpt_tos == [consenting_client.contact_email]
    assert received.message["Message-ID"] == reminder_message_id(reminder)
    assert received.message.get_body(preferencelist=("plain",)) is not None
    assert Reminder.objects.get(pk=reminder.pk).attempts == 1
