"""The reminder dispatcher: claim due rows, send each at most once, record what happened.

Mail goes over a socket to a real SMTP server on loopback (tests/smtp.py). Time is frozen at
named instants, except in the races, where two threads meet on real time.
"""

import datetime
import email.policy
import logging
import random
import re
import smtplib
import threading
import time
import zoneinfo
from concurrent.futures import ThreadPoolExecutor

import icalendar
import pytest
import time_machine
from django.conf import settings
from django.core.mail import get_connection
from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from clients import emails
from clients.emails import calendar as calendar_file
from clients.emails import parts
from clients.models import Client, ClientStatus, MeetingPlan, Reminder, ReminderKind, ReminderStatus
from clients.services.consent import email_consent_withdraw
from clients.services.reminders import (
    Outcome,
    PermanentFailure,
    classify,
    reminder_deliver,
    reminders_cancel,
    reminders_claim,
    reminders_dispatch,
    retry_delay,
)
from clients.services.reminders import dispatch as reminders_service
from groups.models import Meeting
from tests.smtp import PERMANENT, TRANSIENT

UTC = datetime.UTC
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
BEFORE, CHECKIN = ReminderKind.BEFORE, ReminderKind.CHECKIN
SECOND, MINUTE, HOUR = (datetime.timedelta(seconds=n) for n in (1, 60, 3600))

# The factory's meeting: Tuesdays 19:00-20:00 in New York; this one on 7 April 2026 (EDT).
TUESDAY_EVENING = datetime.datetime(2026, 4, 7, 23, 0, tzinfo=UTC)
# 17:00 in New York, two hours before: when its `before` reminder is due and dispatched.
SEND_AT = TUESDAY_EVENING - 2 * HOUR


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)


def queue_reminder(plan, *, due_at=SEND_AT, occurrence_start=TUESDAY_EVENING, kind=BEFORE, **kw):
    return Reminder.objects.create(
        plan=plan, occurrence_start=occurrence_start, kind=kind, due_at=due_at, **kw
    )


def statuses(*reminders) -> list[str]:
    return [Reminder.objects.get(pk=reminder.pk).status for reminder in reminders]


def ics_start(ics: str) -> datetime.datetime:
    """DTSTART of the first event, as an aware datetime (UTC or with a TZID)."""
    unfolded = re.sub(r"\r?\n[ \t]", "", ics)
    event = unfolded[unfolded.index("BEGIN:VEVENT") :]
    match = re.search(r"^DTSTART(;[^:\r\n]*)?:(\d{8}T\d{6})(Z?)\r?$", event, re.MULTILINE)
    assert match, f"no DTSTART in the event:\n{event}"
    params, stamp, utc = match.groups()
    moment = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%S")
    if utc:
        return moment.replace(tzinfo=UTC)
    tzid = re.search(r"TZID=([^;]+)", params or "")
    assert tzid, "a floating DTSTART names no instant"
    return moment.replace(tzinfo=zoneinfo.ZoneInfo(tzid.group(1).strip('"')))


# --- Claiming (nothing is sent) -----------------------------------------------------------


def test_claim_takes_due_rows_oldest_first_and_marks_them_in_flight(make_plan):
    plan = make_plan()
    oldest = queue_reminder(plan, due_at=SEND_AT - 10 * MINUTE, kind=CHECKIN)
    older = queue_reminder(plan, due_at=SEND_AT - 5 * MINUTE)
    on_time = queue_reminder(make_plan(), due_at=SEND_AT)
    queue_reminder(make_plan(), due_at=SEND_AT + SECOND)  # not due yet
    for status in (ReminderStatus.SENT, ReminderStatus.FAILED, ReminderStatus.CANCELLED):
        queue_reminder(make_plan(), due_at=SEND_AT - HOUR, status=status, sent_at=SEND_AT)

    first = reminders_claim(now=SEND_AT, limit=2)
    second = reminders_claim(now=SEND_AT, limit=2)

    assert first == [(oldest.pk, SEND_AT), (older.pk, SEND_AT)]
    assert second == [(on_time.pk, SEND_AT)]
    assert reminders_claim(now=SEND_AT) == []
    claimed = Reminder.objects.filter(pk__in=[oldest.pk, older.pk, on_time.pk])
    assert set(claimed.values_list("status", "claimed_at", "attempts")) == {
        (ReminderStatus.SENDING, SEND_AT, 1)
    }


def test_a_row_in_flight_is_claimed_again_only_after_its_lease(make_plan):
    # A worker claimed these and died before sending.
    reminders = [queue_reminder(make_plan()) for _ in range(3)]
    ids = sorted(reminder.pk for reminder in reminders)
    assert sorted(pk for pk, _at in reminders_claim(now=SEND_AT)) == ids

    assert reminders_claim(now=SEND_AT + lease() - SECOND) == []
    later = SEND_AT + lease() + SECOND
    reclaimed = reminders_claim(now=later)

    assert sorted(reclaimed) == [(pk, later) for pk in ids]
    assert set(Reminder.objects.values_list("status", "claimed_at", "attempts")) == {
        (ReminderStatus.SENDING, later, 2)
    }


def test_without_skip_locked_a_row_a_rival_claimed_after_our_read_is_left_to_the_rival(
    make_plan, monkeypatch
):
    """The conditional UPDATE used where SKIP LOCKED is not available (SQLite)."""
    monkeypatch.setattr(type(connection.features), "has_select_for_update_skip_locked", False)
    contested, free = queue_reminder(make_plan()), queue_reminder(make_plan())
    rival_at = SEND_AT - SECOND
    update = QuerySet.update
    rival_done = []

    def rival_claims_first(queryset, **fields):
        # Runs after our read of the candidates, before our first write: the worst moment.
        if not rival_done:
            rival_done.append(True)
            update(
                Reminder.objects.filter(pk=contested.pk),
                status=ReminderStatus.SENDING,
                claimed_at=rival_at,
                attempts=1,
            )
        return update(queryset, **fields)

    monkeypatch.setattr(QuerySet, "update", rival_claims_first)
    claimed = reminders_claim(now=SEND_AT)

    assert claimed == [(free.pk, SEND_AT)]
    assert Reminder.objects.get(pk=contested.pk).claimed_at == rival_at


def test_cancel_touches_only_open_rows_of_the_plan_it_names(make_plan):
    plan, other = make_plan(), make_plan()
    queued = queue_reminder(plan)
    sending = queue_reminder(plan, kind=CHECKIN, status=ReminderStatus.SENDING, claimed_at=SEND_AT)
    sent = queue_reminder(
        plan,
        occurrence_start=TUESDAY_EVENING - 7 * 24 * HOUR,
        status=ReminderStatus.SENT,
        sent_at=SEND_AT,
    )
    elsewhere = queue_reminder(other)

    assert reminders_cancel(plan=plan) == 2

    assert statuses(queued, sending, sent, elsewhere) == [
        ReminderStatus.CANCELLED,
        ReminderStatus.CANCELLED,
        ReminderStatus.SENT,
        ReminderStatus.QUEUED,
    ]


@pytest.mark.parametrize(
    "attempts, low, high",
    [
        (1, 60, 90),  # about a minute
        (2, 120, 180),
        (3, 240, 360),
        (4, 480, 720),
        (6, 1800, 2700),  # capped at 30 minutes (plus jitter)
        (12, 1800, 2700),
    ],
)
def test_retries_back_off_exponentially_with_jitter_and_a_cap(attempts, low, high):
    delays = {retry_delay(attempts, random.Random(seed)).total_seconds() for seed in range(50)}

    assert low <= min(delays) and max(delays) <= high
    assert len(delays) > 1  # jitter: retries from many rows do not arrive together


@pytest.mark.parametrize(
    "error, permanent",
    [
        (smtplib.SMTPDataError(550, b"Message rejected"), True),
        (smtplib.SMTPDataError(451, b"Try again later"), False),
        (smtplib.SMTPSenderRefused(553, b"Bad sender", "reminders@localhost"), True),
        (smtplib.SMTPRecipientsRefused({"a@example.net": (550, b"No such user")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.net": (450, b"Mailbox busy")}), False),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False),
        (ConnectionRefusedError(111, "Connection refused"), False),
        (TimeoutError("timed out"), False),
    ],
)
def test_only_5xx_replies_are_permanent(error, permanent):
    assert (classify(error) is PermanentFailure) is permanent


# --- Sending --------------------------------------------------------------------------------


def test_a_due_reminder_goes_out_over_smtp_and_is_marked_sent(
    smtp_sink, consenting_client, make_plan
):
    reminder = queue_reminder(make_plan())

    with time_machine.travel(SEND_AT, tick=False):
        outcome = reminders_dispatch()

    assert outcome == Outcome(sent=1)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.sent_at, reminder.attempts, reminder.last_error) == (
        ReminderStatus.SENT,
        SEND_AT,
        1,
        "",
    )
    [received] = smtp_sink.received
    message = received.message
    assert received.rcpt_tos == ["riley@example.net"]
    assert message["To"] == "riley@example.net"
    assert message["From"].addresses[0].addr_spec == settings.DEFAULT_FROM_EMAIL
    assert message["Subject"]
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", message["Message-ID"])
    # RFC 8058 one-click unsubscribe.
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<https?://\S+>", message["List-Unsubscribe"].strip())
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert "Riley" in text.get_content()
    assert "<" in html.get_content() and "Riley" in html.get_content()
    [ics] = [
        part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"
    ]
    assert ics.get_filename().endswith(".ics")
    calendar = ics.get_content()
    assert "BEGIN:VCALENDAR" in calendar and "BEGIN:VEVENT" in calendar
    assert ics_start(calendar) == TUESDAY_EVENING


def test_a_discreet_reminder_names_no_program_and_no_meeting(smtp_sink, make_plan):
    plan = make_plan(name="Thursday Serenity Group")

    queue_reminder(plan)
    with time_machine.travel(SEND_AT, tick=False):
        reminders_dispatch()

    [message] = smtp_sink.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    [ics] = [part.get_content() for part in message.iter_attachments()]
    for shown in (message["Subject"], message["From"], text, html, ics):
        for secret in ("Thursday Serenity Group", plan.meeting.program.name, "Alcohol"):
            assert secret.lower() not in str(shown).lower()


def test_a_batch_goes_out_over_one_smtp_connection(smtp_sink, make_plan):
    reminders = [queue_reminder(make_plan()) for _ in range(4)]

    with time_machine.travel(SEND_AT, tick=False):
        outcome = reminders_dispatch(batch_size=2)

    assert outcome.sent == 4
    assert statuses(*reminders) == [ReminderStatus.SENT] * 4
    assert len({received.peer for received in smtp_sink.received}) == 1


def test_dispatching_again_sends_nothing_twice(smtp_sink, make_plan):
    queue_reminder(make_plan())

    with time_machine.travel(SEND_AT, tick=False) as traveller:
        reminders_dispatch()
        traveller.shift(lease() + MINUTE)
        second = reminders_dispatch()

    assert second == Outcome()
    assert len(smtp_sink.messages) == 1


def test_a_worker_that_died_after_claiming_is_replaced_after_the_lease_and_each_row_goes_once(
    smtp_sink, make_plan
):
    reminders = [queue_reminder(make_plan()) for _ in range(3)]
    with time_machine.travel(SEND_AT, tick=False) as traveller:
        reminders_claim(now=SEND_AT)  # ... and the worker dies here.

        traveller.move_to(SEND_AT + lease() - SECOND)
        assert reminders_dispatch() == Outcome()
        assert smtp_sink.messages == []

        traveller.move_to(SEND_AT + lease() + SECOND)
        assert reminders_dispatch() == Outcome(sent=3)
        assert reminders_dispatch() == Outcome()

    message_ids = [message["Message-ID"] for message in smtp_sink.messages]
    assert len(message_ids) == len(set(message_ids)) == len(reminders)
    assert set(Reminder.objects.values_list("status", "attempts")) == {(ReminderStatus.SENT, 2)}


def test_a_slow_worker_whose_lease_ran_out_neither_sends_nor_marks(smtp_sink, make_plan):
    reminder = queue_reminder(make_plan())
    with time_machine.travel(SEND_AT, tick=False) as traveller:
        [(pk, first_claim)] = reminders_claim(now=SEND_AT)
        traveller.move_to(SEND_AT + lease() + SECOND)
        assert reminders_dispatch() == Outcome(sent=1)  # another worker took over

        # The first worker wakes up and carries on with its old claim.
        late = Outcome()
        with get_connection() as mail_connection:
            reminder_deliver(
                reminder_id=pk,
                claimed_at=first_claim,
                mail_connection=mail_connection,
                outcome=late,
            )

    assert late == Outcome(skipped=1)
    assert len(smtp_sink.messages) == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.SENT, 2)


def test_no_send_starts_under_a_claim_whose_lease_has_run_out(smtp_sink, make_plan):
    """A slow server makes one batch outlast the lease (100 rows x EMAIL_TIMEOUT 20 s is far
    more than 300 s); from then on a second dispatcher may reclaim and send the same rows."""
    reminders = [queue_reminder(make_plan()) for _ in range(2)]

    with time_machine.travel(SEND_AT, tick=False) as traveller:

        def slow_server(received):
            if len(smtp_sink.received) == 1:
                traveller.shift(lease() + SECOND)

        smtp_sink.handler.on_receive = slow_server
        reminders_dispatch(batch_size=2)

    assert statuses(*reminders) == [ReminderStatus.SENT] * 2
    claims = {
        emails.reminder_message_id(reminder): reminder.claimed_at
        for reminder in Reminder.objects.all()
    }
    for received in smtp_sink.received:
        claimed_at = claims[received.message["Message-ID"]]
        assert received.received_at - claimed_at < lease()


def test_a_worker_that_died_between_the_send_and_the_mark_resends_with_the_same_message_id(
    smtp_sink, make_plan, monkeypatch
):
    """The one window for a repeat; the stable Message-ID lets mail systems drop it."""
    reminder = queue_reminder(make_plan())
    mark = reminders_service._mark

    def die_after_the_server_accepted(pk, claimed_at, **fields):
        if fields.get("status") == ReminderStatus.SENT:
            raise SystemExit("worker killed")
        return mark(pk, claimed_at, **fields)

    with time_machine.travel(SEND_AT, tick=False) as traveller:
        monkeypatch.setattr(reminders_service, "_mark", die_after_the_server_accepted)
        with pytest.raises(SystemExit):
            reminders_dispatch()
        monkeypatch.setattr(reminders_service, "_mark", mark)
        traveller.move_to(SEND_AT + lease() + SECOND)
        assert reminders_dispatch() == Outcome(sent=1)

    first, again = smtp_sink.messages
    assert first["Message-ID"] == again["Message-ID"]
    assert Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.SENT


# --- Failures -------------------------------------------------------------------------------


def test_smtp_server_down_retries_with_backoff_then_fails_and_the_client_page_shows_it(
    smtp_sink, closed_port, settings, as_user, therapist, consenting_client, make_plan
):
    settings.EMAIL_PORT = closed_port
    reminder = queue_reminder(make_plan())
    delays = []

    with time_machine.travel(SEND_AT, tick=False) as traveller:
        for attempt in range(1, settings.REMINDER_MAX_ATTEMPTS):
            assert reminders_dispatch() == Outcome(retried=1)
            reminder.refresh_from_db()
            assert (reminder.status, reminder.attempts) == (ReminderStatus.QUEUED, attempt)
            assert reminder.last_error.startswith("ConnectionRefusedError")
            delays.append(reminder.due_at - timezone.now())
            assert reminders_dispatch() == Outcome()  # not due again yet
            traveller.move_to(reminder.due_at)

        assert reminders_dispatch() == Outcome(failed=1)
        page = as_user(therapist).get(reverse("clients:detail", args=[consenting_client.pk]))

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (
        ReminderStatus.FAILED,
        settings.REMINDER_MAX_ATTEMPTS,
    )
    assert reminder.last_error.startswith("ConnectionRefusedError")
    assert delays == sorted(delays) and delays[0] >= MINUTE
    assert smtp_sink.messages == []
    assert page.status_code == 200
    html = page.content.decode()
    assert "Reminders" in html
    assert "Failed" in html and "ConnectionRefusedError" in html


def test_a_4xx_reply_requeues_and_the_next_attempt_after_the_backoff_delivers(smtp_sink, make_plan):
    reminder = queue_reminder(make_plan())
    smtp_sink.refuse_data(TRANSIENT)

    with time_machine.travel(SEND_AT, tick=False) as traveller:
        assert reminders_dispatch() == Outcome(retried=1)
        reminder.refresh_from_db()
        assert reminder.status == ReminderStatus.QUEUED
        assert "451" in reminder.last_error
        assert reminder.due_at >= SEND_AT + MINUTE

        smtp_sink.accept()
        traveller.move_to(reminder.due_at)
        assert reminders_dispatch() == Outcome(sent=1)

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.last_error) == (
        ReminderStatus.SENT,
        2,
        "",
    )
    assert smtp_sink.handler.data_attempts == 2
    assert len(smtp_sink.messages) == 1


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
def test_a_5xx_reply_fails_the_reminder_at_once(smtp_sink, make_plan, stage):
    reminder = queue_reminder(make_plan())
    if stage == "RCPT":
        smtp_sink.refuse_recipients("550 5.1.1 No such user here")
    else:
        smtp_sink.refuse_data(PERMANENT)

    with time_machine.travel(SEND_AT, tick=False) as traveller:
        assert reminders_dispatch() == Outcome(failed=1)
        smtp_sink.accept()
        traveller.shift(HOUR)
        assert reminders_dispatch() == Outcome()  # never retried

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.FAILED, 1)
    assert "550" in reminder.last_error
    assert smtp_sink.messages == []


def test_a_4xx_refused_recipient_is_retried(smtp_sink, make_plan):
    reminder = queue_reminder(make_plan())
    smtp_sink.refuse_recipients("450 4.2.1 Mailbox busy, try later")

    with time_machine.travel(SEND_AT, tick=False):
        assert reminders_dispatch() == Outcome(retried=1)

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.QUEUED, 1)
    assert "450" in reminder.last_error


# --- What a failure records: never the client's address --------------------------------------

# consenting_client's address (tests/clients/conftest.py). It is encrypted at rest and wiped by
# an erasure request, so no copy may land in Reminder.last_error (plain text, shown on pages)
# or in the logs.
ADDRESS = "riley@example.net"


def application_log(caplog) -> str:
    """Everything the application logged, tracebacks included. aiosmtpd's own loggers are left
    out: the test server plays the recipient's mail system, which knows the address anyway."""
    return "\n".join(
        caplog.handler.format(record)
        for record in caplog.records
        if not record.name.startswith("mail.")
    )


@pytest.mark.parametrize(
    "stage, reply, error_class, status",
    [
        # The address is only in the exception: SMTPRecipientsRefused keys its dict by it.
        ("RCPT", "550 5.1.1 No such user here", "SMTPRecipientsRefused", ReminderStatus.FAILED),
        # Servers often echo it in their text as well.
        (
            "RCPT",
            f"550 5.1.1 <{ADDRESS}>: Recipient address rejected",
            "SMTPRecipientsRefused",
            ReminderStatus.FAILED,
        ),
        (
            "RCPT",
            f"450 4.2.1 <{ADDRESS}>: Mailbox busy, try later",
            "SMTPRecipientsRefused",
            ReminderStatus.QUEUED,
        ),
        (
            "DATA",
            f"550 5.7.1 Message for {ADDRESS} rejected",
            "SMTPDataError",
            ReminderStatus.FAILED,
        ),
    ],
    ids=["rcpt-550", "rcpt-550-echoed", "rcpt-450-echoed", "data-550-echoed"],
)
def test_a_refused_recipients_address_stays_out_of_last_error_and_the_logs(
    smtp_sink, make_plan, caplog, stage, reply, error_class, status
):
    caplog.set_level(logging.DEBUG)
    reminder = queue_reminder(make_plan())
    if stage == "RCPT":
        smtp_sink.refuse_recipients(reply)
    else:
        smtp_sink.refuse_data(reply)

    with time_machine.travel(SEND_AT, tick=False):
        reminders_dispatch()

    reminder.refresh_from_db()
    assert reminder.status == status
    logged = application_log(caplog)
    assert ADDRESS not in reminder.last_error
    assert ADDRESS not in logged
    # Still says what happened: the kind of refusal, the server's code and its words.
    code, text = reply[:3], reply[4:].replace(f"<{ADDRESS}>", "<address>")
    assert reminder.last_error == f"{error_class}: {code} {text.replace(ADDRESS, '<address>')}"
    if status == ReminderStatus.FAILED:
        assert f"failed: {error_class}: {code}" in logged  # the warning is still there


def test_an_email_that_cannot_be_built_records_no_address(
    smtp_sink, make_plan, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    reminder = queue_reminder(make_plan())

    def invalid_address(reminder, **kwargs):
        # What Django's sanitize_address raises: the address, quoted.
        raise ValueError(f'Invalid address "{ADDRESS}"')

    monkeypatch.setattr(reminders_service, "reminder_email", invalid_address)
    with time_machine.travel(SEND_AT, tick=False):
        assert reminders_dispatch() == Outcome(failed=1)

    reminder.refresh_from_db()
    logged = application_log(caplog)
    assert ADDRESS not in reminder.last_error
    assert ADDRESS not in logged
    assert (
        reminder.last_error == 'Could not build the email: ValueError: Invalid address "<address>"'
    )
    assert "could not be built" in logged
    assert "invalid_address" in logged  # where it went wrong: the traceback's frames are kept


@pytest.mark.parametrize(
    "error, description",
    [
        (
            smtplib.SMTPRecipientsRefused(
                {
                    ADDRESS: (550, f"5.1.1 <{ADDRESS}>: Recipient address rejected".encode()),
                    "sam+rb@mail.example.co.uk": (450, b"4.2.1 Mailbox busy"),
                }
            ),
            "SMTPRecipientsRefused: 550 5.1.1 <address>: Recipient address rejected; "
            "450 4.2.1 Mailbox busy",
        ),
        (
            smtplib.SMTPSenderRefused(
                553, b"5.7.1 <reminders@localhost> refused", "reminders@localhost"
            ),
            "SMTPSenderRefused: 553 5.7.1 <address> refused",
        ),
        (
            smtplib.SMTPDataError(550, "5.7.1 Not for rïley@exämple.net".encode()),
            "SMTPDataError: 550 5.7.1 Not for <address>",
        ),
        (
            smtplib.SMTPResponseException(554, b'5.1.1 "riley smith"@example.net: unknown'),
            "SMTPResponseException: 554 5.1.1 <address>: unknown",
        ),
        (
            ValueError(f"Invalid address; only {ADDRESS} could be parsed from 'Riley <{ADDRESS}'"),
            "ValueError: Invalid address; only <address> could be parsed from 'Riley <address>'",
        ),
        (
            smtplib.SMTPDataError(550, b"5.1.1 <mary.o'brien@example.net>: Recipient rejected"),
            "SMTPDataError: 550 5.1.1 <address>: Recipient rejected",
        ),
        (
            smtplib.SMTPDataError(550, b"d'angelo.riley@example.net... User unknown"),
            "SMTPDataError: 550 <address> User unknown",  # the dots after it go too
        ),
        (
            smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
            "SMTPServerDisconnected: Connection unexpectedly closed",
        ),
        (
            ConnectionRefusedError(111, "Connection refused"),
            "ConnectionRefusedError: [Errno 111] Connection refused",
        ),
    ],
)
def test_a_mail_error_is_described_without_any_address(error, description):
    assert reminders_service.describe_mail_error(error) == description


def test_a_slow_smtp_server_times_out_and_the_reminder_is_requeued(smtp_sink, settings, make_plan):
    settings.EMAIL_TIMEOUT = 1
    smtp_sink.answer_slowly(settings.EMAIL_TIMEOUT + 3)
    reminder = queue_reminder(make_plan())

    with time_machine.travel(SEND_AT, tick=False):
        started = time.monotonic()
        outcome = reminders_dispatch()
        elapsed = time.monotonic() - started

    assert outcome == Outcome(retried=1)
    assert elapsed < settings.EMAIL_TIMEOUT + 2  # the client gave up; it did not wait it out
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.QUEUED
    assert "timed out" in reminder.last_error
    assert reminder.due_at >= SEND_AT + MINUTE
    assert smtp_sink.messages == []


# --- Consent, discharge and timing are checked again at the moment of sending ---------------


def never_consented(client, plan):
    client.email_consent_at = client.email_consent_recorded_by = None
    client.save()


def consent_withdrawn_behind_the_services_back(client, plan):
    client.email_consent_withdrawn_at = SEND_AT - HOUR
    client.save()


def discharged_behind_the_services_back(client, plan):
    client.status, client.discharged_on = ClientStatus.DISCHARGED, datetime.date(2026, 4, 7)
    client.save()


def plan_ended_behind_the_services_back(client, plan):
    plan.cancelled_at = SEND_AT - HOUR
    plan.save()


@pytest.mark.parametrize(
    "situation",
    [
        never_consented,
        consent_withdrawn_behind_the_services_back,
        discharged_behind_the_services_back,
        plan_ended_behind_the_services_back,
    ],
)
def test_a_queued_row_is_cancelled_not_sent_when_at_send_time(
    smtp_sink, consenting_client, make_plan, situation
):
    plan = make_plan()
    reminder = queue_reminder(plan)
    situation(consenting_client, plan)

    with time_machine.travel(SEND_AT, tick=False):
        assert reminders_dispatch() == Outcome(cancelled=1)

    assert statuses(reminder) == [ReminderStatus.CANCELLED]
    assert smtp_sink.messages == []


def test_consent_withdrawn_while_a_worker_holds_the_row_sends_nothing(
    smtp_sink, therapist, consenting_client, make_plan
):
    reminder = queue_reminder(make_plan())
    with time_machine.travel(SEND_AT, tick=False):
        [(pk, claimed_at)] = reminders_claim(now=SEND_AT)
        email_consent_withdraw(client=consenting_client, by_client=True)
        outcome = Outcome()
        with get_connection() as mail_connection:
            reminder_deliver(
                reminder_id=pk,
                claimed_at=claimed_at,
                mail_connection=mail_connection,
                outcome=outcome,
            )

    assert outcome == Outcome(skipped=1)
    assert statuses(reminder) == [ReminderStatus.CANCELLED]
    assert smtp_sink.messages == []


@pytest.mark.parametrize(
    "kind, dispatched_at",
    [
        (BEFORE, TUESDAY_EVENING),  # the meeting has started
        (CHECKIN, TUESDAY_EVENING + 24 * HOUR),  # a day later the question means nothing
    ],
)
def test_a_reminder_dispatched_too_late_is_cancelled(smtp_sink, make_plan, kind, dispatched_at):
    reminder = queue_reminder(make_plan(), kind=kind, due_at=SEND_AT)

    with time_machine.travel(dispatched_at, tick=False):
        assert reminders_dispatch() == Outcome(cancelled=1)

    reminder.refresh_from_db()
    assert (reminder.status, reminder.last_error) == (ReminderStatus.CANCELLED, "Too late to send.")
    assert smtp_sink.messages == []


def test_a_late_before_reminder_inside_quiet_hours_is_skipped_when_they_outlast_the_meeting(
    smtp_sink, consenting_client, make_plan
):
    # Due at 20:50 in New York; a retry (or a backlog) brings it to 21:05, inside 21:00-08:00,
    # and the 22:00 meeting starts before they end.
    plan = make_plan(start_time=datetime.time(22, 0), end_time=datetime.time(23, 0))
    reminder = queue_reminder(
        plan,
        occurrence_start=datetime.datetime(2026, 4, 7, 22, 0, tzinfo=NEW_YORK),
        due_at=datetime.datetime(2026, 4, 7, 20, 50, tzinfo=NEW_YORK),
    )

    with time_machine.travel(datetime.datetime(2026, 4, 7, 21, 5, tzinfo=NEW_YORK), tick=False):
        assert reminders_dispatch() == Outcome(cancelled=1)

    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.CANCELLED
    assert "quiet hours" in reminder.last_error
    assert smtp_sink.messages == []


def test_a_late_checkin_inside_quiet_hours_waits_for_the_morning_without_losing_an_attempt(
    smtp_sink, consenting_client, make_plan
):
    reminder = queue_reminder(
        make_plan(),
        kind=CHECKIN,
        due_at=datetime.datetime(2026, 4, 7, 20, 55, tzinfo=NEW_YORK),
    )
    morning = datetime.datetime(2026, 4, 8, 8, 0, tzinfo=NEW_YORK)

    with time_machine.travel(
        datetime.datetime(2026, 4, 7, 23, 30, tzinfo=NEW_YORK), tick=False
    ) as traveller:
        assert reminders_dispatch() == Outcome(skipped=1)
        reminder.refresh_from_db()
        assert (reminder.status, reminder.due_at, reminder.attempts) == (
            ReminderStatus.QUEUED,
            morning,
            0,
        )
        assert smtp_sink.messages == []

        traveller.move_to(morning)
        assert reminders_dispatch() == Outcome(sent=1)

    assert len(smtp_sink.messages) == 1


def test_one_reminder_that_cannot_be_built_fails_alone_and_the_others_go_out(
    smtp_sink, make_plan, monkeypatch
):
    broken = queue_reminder(make_plan(), due_at=SEND_AT - MINUTE)
    fine = queue_reminder(make_plan())
    build = emails.reminder_email

    def cannot_build_the_first(reminder, **kwargs):
        if reminder.pk == broken.pk:
            raise ValueError("a template that does not render")
        return build(reminder, **kwargs)

    monkeypatch.setattr(reminders_service, "reminder_email", cannot_build_the_first)
    with time_machine.travel(SEND_AT, tick=False):
        assert reminders_dispatch() == Outcome(sent=1, failed=1)

    assert statuses(broken, fine) == [ReminderStatus.FAILED, ReminderStatus.SENT]
    broken.refresh_from_db()
    assert "ValueError: a template that does not render" in broken.last_error
    assert len(smtp_sink.messages) == 1


# --- What makes a dispatch cheap, and what it must not change --------------------------------


def loaded(reminder):
    """As the dispatcher loads it, after the claim."""
    return reminders_service._with_everything_an_email_needs().get(pk=reminder.pk)


@pytest.mark.parametrize(
    "name, sender, meeting_name",
    [
        ("Riley", "Harbor Counseling", "Tuesday Night Group"),
        # Non-ASCII words in every header that carries them, and lines too long for one line.
        ("Zoë Ångström-Łukasz 山田", "Clinique Été «Santé» " * 4, "Réunion du mardi soir " * 5),
    ],
)
@pytest.mark.parametrize("discreet", [True, False])
@pytest.mark.parametrize("kind", [BEFORE, CHECKIN])
def test_a_reminder_is_written_as_the_standard_library_writes_it(
    make_plan, consenting_client, practice, name, sender, meeting_name, discreet, kind
):
    """ONE_LINE_HEADERS writes short ASCII headers itself; every byte must be as compat32's."""
    consenting_client.preferred_name, consenting_client.discreet_mode = name, discreet
    consenting_client.save()
    practice.email_sender_name = sender
    practice.save()
    reminder = queue_reminder(make_plan(name=meeting_name), kind=kind)

    with time_machine.travel(SEND_AT, tick=False):
        message = emails.reminder_email(loaded(reminder)).message()
    ours = message.as_bytes(linesep="\r\n")
    message.policy = email.policy.compat32
    theirs = message.as_bytes(linesep="\r\n")

    assert ours == theirs
    assert len({part.get_boundary() for part in message.walk() if part.is_multipart()}) == (
        2 if kind == BEFORE else 1
    )


@pytest.mark.parametrize(
    "time_zone, start",
    [
        ("America/New_York", TUESDAY_EVENING),
        # Weeks that straddle a change of the clocks, in both directions and hemispheres.
        ("America/New_York", datetime.datetime(2026, 3, 10, 23, 0, tzinfo=UTC)),
        ("Europe/London", datetime.datetime(2026, 10, 27, 19, 0, tzinfo=UTC)),
        ("Australia/Sydney", datetime.datetime(2026, 4, 7, 9, 0, tzinfo=UTC)),
    ],
)
def test_the_calendar_file_is_the_one_icalendar_builds_with_its_time_zone(
    make_plan, time_zone, start
):
    reminder = loaded(
        queue_reminder(make_plan(time_zone=time_zone), occurrence_start=start, due_at=start)
    )

    ics = emails.reminder_ics(reminder)
    again = emails.reminder_ics(reminder)  # the time zone now comes from the cache

    # What the calendar file was before the cache: icalendar adds the VTIMEZONE itself.
    calendar = icalendar.Calendar.from_ical(ics)
    calendar.subcomponents = [part for part in calendar.subcomponents if part.name != "VTIMEZONE"]
    local = start.astimezone(zoneinfo.ZoneInfo(time_zone))
    calendar.add_missing_timezones(
        first_date=local.date() - datetime.timedelta(days=7),
        last_date=(local + reminder.plan.meeting.duration).date() + datetime.timedelta(days=7),
    )
    assert ics == again == calendar.to_ical()
    assert [tz.tz_name for tz in calendar.timezones] == [time_zone]


def icalendar_builds(reminder, *, discreet: bool, where: dict) -> bytes:
    """The calendar file as icalendar's Calendar and Event wrote it before emails.reminder_ics
    wrote its lines itself (its VTIMEZONE, from the same cache, goes before the event)."""
    plan, meeting = reminder.plan, reminder.plan.meeting
    tz = zoneinfo.ZoneInfo(meeting.time_zone)
    start = reminder.occurrence_start.astimezone(tz)
    end = reminder.occurrence_end.astimezone(tz)
    uid = f"plan-{plan.pk}-{reminder.occurrence_start.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    domain = parts._mail_domain()
    event = icalendar.Event.new(
        uid=f"{uid}@{domain}",
        summary=emails.NEUTRAL_SUMMARY if discreet else meeting.name,
        start=start,
        end=end,
        stamp=reminder.created_at,
        url=where["join_url"] or None,
        location=", ".join(part for part in (where["venue"], where["address"]) if part)
        or where["join_url"]
        or None,
    )
    calendar = icalendar.Calendar.new(
        prodid="-//Care team//Reminders//EN",
        method="PUBLISH",
        uid=f"calendar-{uid}@{domain}",
        subcomponents=[event],
    )
    vtimezone = calendar_file._vtimezone(
        meeting.time_zone,
        start.date() - datetime.timedelta(days=7),
        end.date() + datetime.timedelta(days=7),
    )
    before, event_begins, event_on = calendar.to_ical().partition(b"BEGIN:VEVENT\r\n")
    return before + vtimezone + event_begins + event_on


def unsaved_reminder(
    *, name="Tuesday Night Group", time_zone="America/New_York", start=TUESDAY_EVENING, **meeting
):
    """A reminder as reminder_ics reads it, built in memory (no database)."""
    meeting = Meeting(
        name=name,
        time_zone=time_zone,
        start_time=meeting.pop("start_time", datetime.time(19)),
        end_time=meeting.pop("end_time", datetime.time(20, 30)),
        **meeting,
    )
    plan = MeetingPlan(pk=41, meeting=meeting, client=Client(discreet_mode=False))
    return Reminder(
        pk=7, plan=plan, kind=BEFORE, occurrence_start=start, created_at=SEND_AT - 3 * HOUR
    )


NO_WHERE = dict.fromkeys(
    ("join_url", "join_notes", "phone", "phone_notes", "address", "venue", "location_notes"), ""
)


@pytest.mark.parametrize("time_zone", sorted(zoneinfo.available_timezones()))
def test_the_calendar_file_is_written_as_icalendar_writes_it_in_every_time_zone(time_zone):
    # Noon UTC is a plain local time everywhere (no gap, no fold); UTC and its aliases are
    # written with Z and no TZID, as icalendar writes them.
    reminder = unsaved_reminder(
        time_zone=time_zone, start=datetime.datetime(2026, 6, 2, 12, 0, tzinfo=UTC)
    )
    where = {**NO_WHERE, "address": "12 Main St, Portland"}
    for discreet in (True, False):
        assert emails.reminder_ics(reminder, discreet=discreet, where=where) == (
            icalendar_builds(reminder, discreet=discreet, where=where)
        )


# Anything a therapist could type into a meeting's name or place: escapes (backslash,
# semicolon, comma, a literal \N, caret), line breaks of every kind, words of many scripts
# and emoji, and lines long enough to fold, even in the middle of an escape or a character.
TYPED = st.text(
    # No lone surrogates: no database stores them, and no form lets one through.
    alphabet=st.sampled_from('aZ 09\\;,:^"\r\nN\t-éÅ山田🙂\u200b')
    | st.characters(blacklist_categories=("Cs",)),
    max_size=160,
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    name=TYPED,
    venue=TYPED,
    address=TYPED,
    join_url=st.text(
        alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
        max_size=120,
    ),
    discreet=st.booleans(),
)
# A caret, then an escape's backslash, just where "SUMMARY:" and the name reach 75 octets.
@example(name="a" * 65 + "^bbbb", venue="", address="", join_url="", discreet=False)
@example(name="a" * 65 + ";bbbb", venue="", address="", join_url="", discreet=False)
def test_the_calendar_file_is_written_as_icalendar_writes_it_whatever_the_text(
    name, venue, address, join_url, discreet
):
    reminder = unsaved_reminder(name=name)
    where = {**NO_WHERE, "venue": venue, "address": address, "join_url": join_url}
    assert emails.reminder_ics(reminder, discreet=discreet, where=where) == (
        icalendar_builds(reminder, discreet=discreet, where=where)
    )


@pytest.mark.parametrize(
    "time_zone, start",
    [
        # 01:30 on the night the clocks go back: twice in New York, before and after.
        ("America/New_York", datetime.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        ("America/New_York", datetime.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),
        # Lord Howe's clocks go back half an hour; Kathmandu is UTC+5:45.
        ("Australia/Lord_Howe", datetime.datetime(2026, 4, 4, 14, 45, tzinfo=UTC)),
        ("Asia/Kathmandu", datetime.datetime(2026, 6, 2, 13, 0, tzinfo=UTC)),
    ],
)
def test_the_calendar_file_is_written_as_icalendar_writes_it_around_a_change_of_the_clocks(
    time_zone, start
):
    reminder = unsaved_reminder(time_zone=time_zone, start=start)
    first = emails.reminder_ics(reminder, discreet=False, where=NO_WHERE)
    again = emails.reminder_ics(reminder, discreet=False, where=NO_WHERE)  # from the cache
    assert first == again == icalendar_builds(reminder, discreet=False, where=NO_WHERE)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # claims really commit
def test_dispatch_writes_outcomes_without_waiting_for_the_disk_and_claims_with_it(
    smtp_sink, make_plan, monkeypatch
):
    """PostgreSQL: a crash of the server may lose the last outcomes (a repeat with the same
    Message-ID after the lease), never a claim; the session's setting is put back after."""
    needs_postgresql()
    queue_reminder(make_plan())

    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    seen = {}
    claim, mark = reminders_service.reminders_claim, reminders_service._mark

    def claiming(**kwargs):
        seen["before the claim"] = setting()
        return claim(**kwargs)

    def marking(pk, claimed_at, **fields):
        seen[fields["status"]] = setting()
        return mark(pk, claimed_at, **fields)

    monkeypatch.setattr(reminders_service, "reminders_claim", claiming)
    monkeypatch.setattr(reminders_service, "_mark", marking)
    with time_machine.travel(SEND_AT, tick=False):
        assert reminders_dispatch() == Outcome(sent=1)

    assert seen == {"before the claim": "off", ReminderStatus.SENT: "off"}
    assert setting() == "on"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # marks really commit
def test_each_mark_is_committed_before_the_next_email_is_sent(smtp_sink, make_plan):
    """PostgreSQL reads a "sent" mark's answer late, while the next email is built; the mark
    itself must be on the server, committed, before that email goes."""
    needs_postgresql()
    reminders = [queue_reminder(make_plan()) for _ in range(4)]
    sent_before = []

    def count():
        try:
            sent_before.append(Reminder.objects.filter(status=ReminderStatus.SENT).count())
        finally:
            connection.close()

    def count_the_sent(received):
        # As each message arrives, on a connection of another thread: only what was committed
        # (the SMTP server's own thread runs its event loop, where Django will not query).
        counting = threading.Thread(target=count)
        counting.start()
        counting.join(timeout=10)

    smtp_sink.handler.on_receive = count_the_sent
    with time_machine.travel(SEND_AT, tick=False):
        assert reminders_dispatch(batch_size=2) == Outcome(sent=4)

    assert sent_before == [0, 1, 2, 3]
    assert statuses(*reminders) == [ReminderStatus.SENT] * 4


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_mark_the_database_refuses_stops_the_dispatcher_before_the_next_email(
    smtp_sink, make_plan
):
    needs_postgresql()
    first, second = queue_reminder(make_plan()), queue_reminder(make_plan())
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_refuse_the_mark() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN RAISE EXCEPTION 'no space left on device'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER test_refuse_the_mark BEFORE UPDATE ON clients_reminder FOR EACH ROW"
            f" WHEN (NEW.status = 'sent' AND NEW.id = {first.pk})"
            " EXECUTE FUNCTION test_refuse_the_mark()"
        )
    try:
        with (
            time_machine.travel(SEND_AT, tick=False),
            pytest.raises(DatabaseError, match="no space left"),
        ):
            reminders_dispatch()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER test_refuse_the_mark ON clients_reminder")
            cursor.execute("DROP FUNCTION test_refuse_the_mark()")

    # The first went out and stays in flight (its lease runs out, it goes again with the
    # same Message-ID); the second was never sent.
    assert [message["Message-ID"] for message in smtp_sink.messages] == [
        emails.reminder_message_id(first)
    ]
    assert statuses(first, second) == [ReminderStatus.SENDING] * 2


def test_the_claim_itself_commits_with_the_disk(make_plan):
    needs_postgresql()
    queue_reminder(make_plan())
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    with CaptureQueriesContext(connection) as queries:
        reminders_claim(now=SEND_AT)

    assert "SET LOCAL synchronous_commit TO on" in [query["sql"] for query in queries]


def test_a_mark_is_refused_for_a_row_that_is_no_longer_ours(make_plan):
    reminder = queue_reminder(make_plan())
    [(pk, claimed_at)] = reminders_claim(now=SEND_AT)

    assert not reminders_service._mark(pk, claimed_at - SECOND, status=ReminderStatus.SENT)
    assert reminders_service._mark(
        pk, claimed_at, status=ReminderStatus.SENT, sent_at=SEND_AT, last_error=""
    )
    assert not reminders_service._mark(pk, claimed_at, status=ReminderStatus.FAILED)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.sent_at) == (ReminderStatus.SENT, SEND_AT)


# --- Races (PostgreSQL: SKIP LOCKED and real row locks) -------------------------------------


def needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("races need PostgreSQL's row locks; SQLite serialises every writer")


def run_in_two_threads(work):
    """Run `work()` in two threads released together; each thread has its own connection."""
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait(timeout=10)
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(worker) for _ in range(2)]
        return [future.result(timeout=120) for future in futures]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("skip_locked", [True, False], ids=["skip_locked", "conditional_update"])
def test_two_dispatchers_claiming_at_once_take_disjoint_rows(make_plan, monkeypatch, skip_locked):
    needs_postgresql()
    monkeypatch.setattr(type(connection.features), "has_select_for_update_skip_locked", skip_locked)
    plan = make_plan()
    now = timezone.now()
    ids = {
        queue_reminder(plan, occurrence_start=now + HOUR + n * MINUTE, due_at=now - MINUTE).pk
        for n in range(40)
    }

    def claim_until_none_left():
        mine = []
        while claimed := reminders_claim(now=now, limit=3):
            mine += [pk for pk, _at in claimed]
        return mine

    first, second = run_in_two_threads(claim_until_none_left)

    assert not set(first) & set(second)
    assert set(first) | set(second) == ids
    assert len(first) + len(second) == len(ids)
    assert set(Reminder.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_dispatchers_racing_over_the_same_due_rows_send_each_reminder_once(
    smtp_sink, make_plan, consenting_client
):
    needs_postgresql()
    # The real clock: no quiet hours, whatever the hour this test runs at.
    consenting_client.quiet_hours_start = consenting_client.quiet_hours_end = datetime.time(0)
    consenting_client.save()
    now = timezone.now()
    reminders = [
        queue_reminder(make_plan(), occurrence_start=now + 2 * HOUR, due_at=now - MINUTE)
        for _ in range(24)
    ]

    outcomes = run_in_two_threads(lambda: reminders_dispatch(batch_size=3))

    message_ids = [message["Message-ID"] for message in smtp_sink.messages]
    assert len(message_ids) == len(set(message_ids)) == len(reminders)
    assert sum(outcome.sent for outcome in outcomes) == len(reminders)
    assert statuses(*reminders) == [ReminderStatus.SENT] * len(reminders)
    assert set(Reminder.objects.values_list("attempts", flat=True)) == {1}
