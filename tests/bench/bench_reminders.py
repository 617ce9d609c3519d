"""Reminder benchmarks: the planner over 100,000 active plans, and dispatch throughput.

Run by `make bench` (not by `make test`); on PostgreSQL when DATABASE_URL is set.
Targets: the planner under 60 s; dispatch at least 50 emails/s with one worker process,
reusing one SMTP connection per batch, into a local SMTP sink (aiosmtpd).
"""

import datetime
import socket
import subprocess
import sys
import time

import pytest
import time_machine
from django.utils import timezone

from clients.models import Client, MeetingPlan, Reminder, ReminderStatus
from clients.services.reminders import reminders_dispatch, reminders_plan
from groups.models import Meeting, Program
from tests.bench.results import write_section
from tests.factories import PracticeFactory, UserFactory

PLANS = 100_000
EMAILS = 1_000
PLANNER_TARGET_S = 60
DISPATCH_TARGET_PER_S = 50
NOW = datetime.datetime(2026, 11, 24, 15, 0, tzinfo=datetime.UTC)


def build_plans(count: int) -> None:
    practice = PracticeFactory()
    therapist = UserFactory(practice=practice)
    # A transactional test before this one may have flushed the seeded programs.
    programs = [
        Program.objects.get_or_create(key="AA", defaults={"name": "AA", "is_twelve_step": True})[0]
    ]
    meetings = Meeting.objects.bulk_create(
        Meeting(
            program=programs[index % len(programs)],
            name=f"Group {index}",
            day=index % 7,
            start_time=datetime.time(6 + index % 15, (index * 5) % 60),
            end_time=datetime.time(7 + index % 15, (index * 5) % 60),
            time_zone="America/New_York",
            attendance_option="online",
        )
        for index in range(500)
    )
    clients = Client.objects.bulk_create(
        (
            Client(
                practice=practice,
                primary_therapist=therapist,
                preferred_name=f"C{index}",
                email_consent_at=NOW,
                email_consent_recorded_by=therapist,
                quiet_hours_start=datetime.time(0),
                quiet_hours_end=datetime.time(0),
                contact_email=f"client{index}@example.net",
            )
            for index in range(count)
        ),
        batch_size=5_000,
    )
    MeetingPlan.objects.bulk_create(
        (
            MeetingPlan(
                client=client,
                meeting=meetings[index % len(meetings)],
                starts_on=datetime.date(2026, 11, 1),
                created_by=therapist,
                created_at=NOW - datetime.timedelta(days=30),
            )
            for index, client in enumerate(clients)
        ),
        batch_size=5_000,
    )


@pytest.mark.django_db
def test_planner_over_100000_active_plans():
    build_plans(PLANS)
    started = time.perf_counter()
    reminders_plan(now=NOW)
    planner_seconds = time.perf_counter() - started
    rows = Reminder.objects.count()
    again = time.perf_counter()
    reminders_plan(now=NOW)  # the next run finds everything in place
    second_seconds = time.perf_counter() - again
    added = Reminder.objects.count() - rows
    assert added == 0
    section = write_section(
        "bench_reminder_planner",
        f"Reminder planner over {PLANS:,} active plans (`tests/bench/bench_reminders.py`)",
        f"under {PLANNER_TARGET_S} s",
        [
            "| run | plans | reminder rows | seconds |",
            "|---|---:|---:|---:|",
            f"| first: writes the rows | {PLANS:,} | {rows:,} | {planner_seconds:.1f} |",
            f"| second: nothing new | {PLANS:,} | {added:,} | {second_seconds:.1f} |",
        ],
    )
    print("\n" + section)
    assert planner_seconds < PLANNER_TARGET_S


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def sink_process(settings):
    """aiosmtpd's discarding sink in a process of its own, as a real mail relay would be: the
    worker process being measured shares nothing with it."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    yield port
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.django_db(transaction=True)  # the dispatcher's claims really commit
def test_dispatch_throughput_into_a_local_smtp_sink(sink_process):
    build_plans(EMAILS)
    with time_machine.travel(NOW, tick=False):
        reminders_plan(now=NOW)
    Reminder.objects.exclude(kind="before").delete()
    total = Reminder.objects.count()
    # Due now, for meetings a day ahead, so no reminder is "too late" while we send.
    Reminder.objects.update(
        due_at=timezone.now() - datetime.timedelta(minutes=1),
        occurrence_start=timezone.now() + datetime.timedelta(days=1),
    )
    started = time.perf_counter()
    outcome = reminders_dispatch(batch_size=100, time_budget=600)
    seconds = time.perf_counter() - started
    assert outcome.sent == total, outcome
    assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == total
    rate = total / seconds
    section = write_section(
        "bench_reminder_dispatch",
        "Reminder dispatch into a local SMTP sink (`tests/bench/bench_reminders.py`)",
        f"at least {DISPATCH_TARGET_PER_S} emails/s with one worker process "
        "(one SMTP connection per batch; aiosmtpd's sink in its own process)",
        [
            "| emails | seconds | emails/s |",
            "|---:|---:|---:|",
            f"| {total:,} | {seconds:.1f} | {rate:,.0f} |",
        ],
    )
    print("\n" + section)
    assert rate >= DISPATCH_TARGET_PER_S
