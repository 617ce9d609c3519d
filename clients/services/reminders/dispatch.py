"""Dispatching the reminder outbox: claim due rows atomically, send each at most once, mark
the outcome with one conditional UPDATE. The only window for a repeat is between the SMTP
server accepting a message and that UPDATE; a stable Message-ID lets mail systems drop the
rare repeat. Beat's dispatch_reminders runs reminders_dispatch every minute."""

import datetime
import functools
import logging
import random
import smtplib
import socket
import traceback
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg.generators
from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from clients.emails import reminder_email
from clients.models import (
    MeasureRequest,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from clients.services.reminders.common import end_of_quiet_hours, in_quiet_hours
from recovery.mail import describe_mail_error

logger = logging.getLogger(__name__)


def _due(now: datetime.datetime) -> Q:
    lease = datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    return Q(status=ReminderStatus.QUEUED, due_at__lte=now) | Q(
        status=ReminderStatus.SENDING, claimed_at__lt=now - lease
    )


def reminders_claim(
    *, now: datetime.datetime, limit: int = 100
) -> list[tuple[int, datetime.datetime]]:
    """Claim up to `limit` due rows: (id, claim time) for each row this caller now owns.

    A row left in `sending` past its lease (its worker died) is due again. On PostgreSQL the
    rows are locked with SKIP LOCKED, so two dispatchers take different rows; elsewhere each row
    is taken by a conditional UPDATE that only one caller can win.
    """
    candidates = Reminder.objects.filter(_due(now)).order_by("due_at", "id")
    claimed_by_us = {
        "status": ReminderStatus.SENDING,
        "claimed_at": now,
        "attempts": F("attempts") + 1,
    }
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # A claim waits for the disk, whatever the dispatcher's session says (see
                # _outcomes_not_waiting_for_the_disk): it is what keeps a second dispatcher
                # away, and its flush takes every outcome written before it to disk too.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO on")
            ids = list(
                candidates.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit]
            )
            Reminder.objects.filter(pk__in=ids).update(**claimed_by_us)
        return [(pk, now) for pk in ids]
    claimed = []
    for pk, status, claimed_at in candidates.values_list("pk", "status", "claimed_at")[:limit]:
        if Reminder.objects.filter(pk=pk, status=status, claimed_at=claimed_at).update(
            **claimed_by_us
        ):
            claimed.append((pk, now))
    return claimed


class PermanentFailure(Exception):
    pass


def classify(error: Exception) -> type[Exception]:
    """PermanentFailure for what retrying cannot fix (5xx); the error's own type otherwise."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return PermanentFailure if codes and all(code >= 500 for code in codes) else type(error)
    code = getattr(error, "smtp_code", None)
    if isinstance(code, int) and code >= 500:
        return PermanentFailure
    return type(error)


TRANSIENT = (smtplib.SMTPException, socket.timeout, TimeoutError, ConnectionError, OSError)


def retry_delay(attempts: int, rng: random.Random | None = None) -> datetime.timedelta:
    """Exponential backoff with jitter: about 1, 2, 4, 8 minutes, capped at 30."""
    rng = rng or random.Random()
    base = min(60 * 2 ** max(attempts - 1, 0), 30 * 60)
    return datetime.timedelta(seconds=base + rng.uniform(0, base / 2))


@dataclass
class Outcome:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    skipped: int = 0


_REMINDER_FIELDS = {field.name: field for field in Reminder._meta.concrete_fields}


@functools.lru_cache(maxsize=32)
def _mark_sql(vendor: str, names: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    column = {name: quote(field.column) for name, field in _REMINDER_FIELDS.items()}
    assignments = ", ".join(f"{column[name]} = %s" for name in names)
    return (
        f"UPDATE {quote(Reminder._meta.db_table)} SET {assignments} "
        f"WHERE {column['id']} = %s AND {column['status']} = %s AND {column['claimed_at']} = %s"
    )


def _mark(
    pk: int,
    claimed_at: datetime.datetime,
    *,
    answer_later: "_AnswersLater | None" = None,
    **fields,
) -> bool | None:
    """Write the outcome only if the row is still ours (sending, our claim): one UPDATE.

    Written as SQL: the ORM compiles each UPDATE in Python, which took 0.5 s of CPU for 1,000
    of them against 0.15 s this way; at 300 emails a second an email has 3.3 ms in all. Values
    go through their fields as the ORM's would.

    With `answer_later` the UPDATE is sent at once and its answer read later (None here).
    """
    values = [
        _REMINDER_FIELDS[name].get_db_prep_save(value, connection) for name, value in fields.items()
    ]
    claimed = _REMINDER_FIELDS["claimed_at"].get_db_prep_value(claimed_at, connection)
    sql = _mark_sql(connection.vendor, tuple(fields))
    params = [*values, pk, ReminderStatus.SENDING.value, claimed]
    if answer_later is not None:
        answer_later.send(sql, params)
        return None
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


class _AnswersLater:
    """PostgreSQL: an UPDATE sent to the server at once, its answer read before this
    connection runs another query (an execute wrapper), before the next email is sent and
    before the dispatcher's next claim opens a transaction.

    A "sent" mark waited 0.3-0.6 ms for its answer (the summary trigger runs in it), while
    the next email could be built. What reaches the server is what a cursor would send in
    autocommit, as one simple query: the server runs and commits it on arrival, not when its
    answer is read, so the mark is as durable as before the moment it is sent, right after
    the SMTP server accepted the message; and the next email goes only once the answer said
    the UPDATE succeeded. Uses psycopg's own non-blocking steps (its generators), as its
    cursors do.
    """

    def __init__(self):
        self._waiting_on = None

    def send(self, sql: str, params: list) -> None:
        self.settle()
        raw = connection.connection
        with connection.wrap_database_errors:
            raw.pgconn.send_query(connection.ops.compose_sql(sql, params).encode(raw.info.encoding))
            raw.wait(psycopg.generators.send(raw.pgconn))
        self._waiting_on = raw

    def settle(self) -> None:
        """Read the answer of the UPDATE in flight, if any; raise its error."""
        raw, self._waiting_on = self._waiting_on, None
        if raw is None:
            return
        with connection.wrap_database_errors:
            for result in raw.wait(psycopg.generators.fetch_many(raw.pgconn)):
                if result.status != psycopg.pq.ExecStatus.COMMAND_OK:
                    raise psycopg.errors.error_from_result(result, encoding=raw.info.encoding)

    def __call__(self, execute, sql, params, many, context):
        self.settle()
        return execute(sql, params, many, context)


@contextmanager
def _answers_read_later():
    """An _AnswersLater for the dispatcher's connection on PostgreSQL (None elsewhere), read
    before any other query on it and at the end."""
    if connection.vendor != "postgresql":
        yield None
        return
    answers = _AnswersLater()
    try:
        with connection.execute_wrapper(answers):
            yield answers
    finally:
        answers.settle()


def _with_everything_an_email_needs():
    # Both kinds of row: a meeting reminder's plan, or a questionnaire's request. Encrypted
    # text no email shows is left out, not decrypted for nothing.
    return Reminder.objects.select_related(
        "plan__client__practice", "plan__meeting__program", "measure_request__client__practice"
    ).defer("plan__why", "plan__client__notes", "measure_request__client__notes")


def _too_late(reminder: Reminder, now: datetime.datetime) -> str:
    """Why the reminder should no longer go out, or "" if it still should."""
    if reminder.kind == ReminderKind.MEASURE:
        measure_request = reminder.measure_request
        if measure_request.completed_at or measure_request.cancelled_at:
            return "The questionnaire is closed."
        return "" if measure_request.is_open(now) else "Too late to send."
    late = (reminder.kind == ReminderKind.BEFORE and now >= reminder.occurrence_start) or (
        # A check-in a day after the meeting would be a stranger's question.
        now >= reminder.occurrence_start + datetime.timedelta(hours=24)
    )
    return "Too late to send." if late else ""


def reminder_deliver(
    *,
    reminder_id: int,
    claimed_at: datetime.datetime,
    mail_connection,
    outcome: Outcome,
    reminder: Reminder | None = None,
    answers: _AnswersLater | None = None,
) -> None:
    """Send one claimed reminder and mark it. Never raises for a mail problem.

    `reminder` may come preloaded (a batch loads its rows in one query); it must have been
    read after the claim. With `answers` (a batch's), the "sent" mark's answer is read before
    the next email is sent, not before this function returns.
    """
    if reminder is None:
        reminder = _with_everything_an_email_needs().filter(pk=reminder_id).first()
    if (
        reminder is None
        or reminder.status != ReminderStatus.SENDING
        or (reminder.claimed_at != claimed_at)
    ):
        outcome.skipped += 1  # someone else owns it now
        return
    client, now = reminder.client, timezone.now()
    too_late = _too_late(reminder, now)
    if reminder.kind != ReminderKind.MEASURE and client.reminders_paused(now):
        too_late = "Paused by the client."
    if (
        not client.has_email_consent
        or not client.is_active
        or not client.contact_email
        or (reminder.plan_id and reminder.plan.cancelled_at is not None)
        or too_late
    ):
        _mark(reminder_id, claimed_at, status=ReminderStatus.CANCELLED, last_error=too_late)
        if reminder.kind == ReminderKind.MEASURE:
            # Its link was never sent: the request is closed, and blocks no new one.
            MeasureRequest.objects.filter(
                pk=reminder.measure_request_id,
                completed_at__isnull=True,
                cancelled_at__isnull=True,
            ).update(cancelled_at=now)
        outcome.cancelled += 1
        return
    if in_quiet_hours(now, client):
        # Late (a retry, a backlog): wait for the end of quiet hours, or skip a reminder
        # whose meeting will have started by then. The claim's attempt is given back.
        resume = end_of_quiet_hours(now, client)
        if reminder.kind == ReminderKind.BEFORE and resume >= reminder.occurrence_start:
            _mark(
                reminder_id,
                claimed_at,
                status=ReminderStatus.CANCELLED,
                last_error="Due inside quiet hours; the meeting starts before they end.",
            )
            outcome.cancelled += 1
        else:
            # The row was read after our claim and is ours since: its count is current.
            _mark(
                reminder_id,
                claimed_at,
                status=ReminderStatus.QUEUED,
                due_at=resume,
                attempts=reminder.attempts - 1,
            )
            outcome.skipped += 1
        return
    try:
        message = reminder_email(reminder, connection=mail_connection)
    except Exception as error:
        # A reminder that cannot be built fails alone; the rest of the batch goes on.
        detail = f"Could not build the email: {describe_mail_error(error)}"[:1000]
        # The traceback's frames say where, without the exception's own text (it may quote
        # the address, as Django's "Invalid address" does): so no logger.exception here.
        logger.error(
            "Reminder %s could not be built: %s\n%s",
            reminder_id,
            detail,
            "".join(traceback.format_tb(error.__traceback__)).rstrip(),
        )
        _mark(reminder_id, claimed_at, status=ReminderStatus.FAILED, last_error=detail)
        outcome.failed += 1
        return
    if answers is not None:
        answers.settle()  # the last email's mark succeeded before this one goes
    try:
        # Opened here, not by send(): Django's backend closes a connection it opened itself,
        # and the batch shares this one. open() does nothing when it is already open.
        mail_connection.open()
        message.send()
    except Exception as error:  # noqa: BLE001 - every mail failure is recorded on the row
        mail_connection.close()  # a broken connection is opened again for the next message
        detail = describe_mail_error(error)[:1000]
        if (
            classify(error) is PermanentFailure
            or reminder.attempts >= settings.REMINDER_MAX_ATTEMPTS
        ):
            _mark(reminder_id, claimed_at, status=ReminderStatus.FAILED, last_error=detail)
            outcome.failed += 1
            logger.warning("Reminder %s failed: %s", reminder_id, detail)
        elif isinstance(error, TRANSIENT):
            _mark(
                reminder_id,
                claimed_at,
                status=ReminderStatus.QUEUED,
                last_error=detail,
                due_at=timezone.now() + retry_delay(reminder.attempts),
            )
            outcome.retried += 1
        else:
            raise
        return
    # The single UPDATE after the server accepted the message: keep nothing else in between.
    _mark(
        reminder_id,
        claimed_at,
        answer_later=answers,
        status=ReminderStatus.SENT,
        sent_at=timezone.now(),
        last_error="",
    )
    outcome.sent += 1


def _claim_still_safe(claimed_at: datetime.datetime) -> bool:
    """True while a send started now would end well inside the claim's lease: one send can
    take up to EMAIL_TIMEOUT per socket step, so keep two of those in hand."""
    lease = datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    # At most half the lease, so a freshly renewed claim is always safe (no endless renewing).
    margin = min(datetime.timedelta(seconds=2 * settings.EMAIL_TIMEOUT), lease / 2)
    return timezone.now() < claimed_at + lease - margin


def _renew(claims: list[tuple[int, datetime.datetime]]) -> list[tuple[int, datetime.datetime]]:
    """Extend the lease of claims that are still ours; drop any another dispatcher took."""
    now = timezone.now()
    return [
        (reminder_id, now)
        for reminder_id, claimed_at in claims
        if Reminder.objects.filter(
            pk=reminder_id, status=ReminderStatus.SENDING, claimed_at=claimed_at
        ).update(claimed_at=now)
    ]


@contextmanager
def _outcomes_not_waiting_for_the_disk():
    """On PostgreSQL, the outcomes this session writes (sent, retry, failed, cancelled) commit
    without waiting for their WAL to reach the disk: a durable commit per email cost 1-10 ms
    of fsync here (a dispatch of 2,000 emails took 26 s, 77 emails/s), more than building
    and sending it.

    What it gives up: a crash of the PostgreSQL server itself (not of a worker) may lose the
    outcomes of the last moments, at most since the last claim (a batch; each claim commits
    durably, which flushes every outcome before it) and at most 3 x wal_writer_delay (0.6 s
    by default). A lost "sent" leaves its row in `sending`: after the lease it goes out again
    with the same Message-ID, the one repeat the design already allows for a worker that dies
    between the server's acceptance and the mark. A worker's own crash loses nothing more
    than before: the server has the UPDATE as soon as the worker has sent it.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def reminders_dispatch(*, batch_size: int = 100, time_budget: float = 50.0) -> Outcome:
    """Claim and send due reminders in batches over one SMTP connection, until none are due
    or the time budget (under beat's one-minute interval) is spent."""
    outcome = Outcome()
    started = timezone.now()
    mail_connection = get_connection()
    try:
        with _outcomes_not_waiting_for_the_disk(), _answers_read_later() as answers:
            while (timezone.now() - started).total_seconds() < time_budget:
                if answers is not None:
                    answers.settle()  # a claim's transaction is no query: the wrapper misses it
                claimed = reminders_claim(now=timezone.now(), limit=batch_size)
                if not claimed:
                    break
                # One query for the whole batch, read after the claim.
                loaded = _with_everything_an_email_needs().in_bulk([pk for pk, _at in claimed])
                while claimed:
                    if not _claim_still_safe(claimed[0][1]):
                        # A slow batch nears its lease: renew what is still ours before another
                        # dispatcher could take it over and send the same reminders.
                        claimed = _renew(claimed)
                        for reminder_id, renewed_at in claimed:
                            if reminder_id in loaded:
                                loaded[reminder_id].claimed_at = renewed_at
                        continue
                    (reminder_id, claimed_at), claimed = claimed[0], claimed[1:]
                    reminder_deliver(
                        reminder_id=reminder_id,
                        claimed_at=claimed_at,
                        mail_connection=mail_connection,
                        outcome=outcome,
                        reminder=loaded.get(reminder_id),
                        answers=answers,
                    )
    finally:
        mail_connection.close()
    return outcome
