"""Questionnaires the client answers by email: sent by hand or on a schedule, completed once.

Each request's email is an ordinary outbox row (a Reminder of kind "measure"), so consent,
quiet hours, claims, retries and unsubscribe work exactly as they do for meeting reminders.
The link names that row; the row names the request; the request names the client. So a
link can record one questionnaire for one client, once, before it expires.

Sends for one client are serialised by locking the client's row: the check "no open request
for this instrument" and the insert that follows cannot interleave with another send or
another planner run.
"""

import datetime
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.utils import timezone

from clients.models import (
    Client,
    ClientStatus,
    Instrument,
    MeasureRequest,
    MeasureSchedule,
    MeasureSource,
    OutcomeMeasure,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from clients.selectors import Need
from clients.services.common import ensure_access
from clients.services.outcomes import outcome_measure_store
from recovery.models import AuditAction, User
from recovery.services import audit

# The instruments a client can answer alone. The readiness ruler is left out: its questions
# name "the change" the client and therapist put into words together in a session.
CLIENT_INSTRUMENTS = (Instrument.BAM, Instrument.BARC10, Instrument.PHQ9, Instrument.GAD7)

# An email that never left (cancelled, or refused by the server) does not hold the place of
# a new request: the client never saw it.
NEVER_DELIVERED = (ReminderStatus.CANCELLED, ReminderStatus.FAILED)


class RequestClosed(ValidationError):
    """The request was already completed, was cancelled, or has expired."""


def _lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=settings.MEASURE_LINK_MAX_AGE_DAYS)


def _check_instrument(instrument: str) -> None:
    if instrument not in CLIENT_INSTRUMENTS:
        raise ValidationError({"instrument": "Choose a questionnaire the client can answer."})


def _check_reachable(client: Client) -> None:
    if client.is_restricted:
        raise PermissionDenied("This record is restricted after an erasure request.")
    if not client.is_active:
        raise ValidationError("A discharged client gets no questionnaires.")
    if not client.has_email_consent:
        raise ValidationError("Record the client's consent to emails first.")
    if not client.contact_email:
        raise ValidationError("Add the client's email address first.")


def _open_requests(client: Client, instrument: str, now: datetime.datetime):
    return MeasureRequest.objects.filter(
        client=client,
        instrument=instrument,
        completed_at__isnull=True,
        cancelled_at__isnull=True,
        expires_at__gt=now,
    )


def _has_open_request(client: Client, instrument: str, now: datetime.datetime) -> bool:
    """True when a request for this instrument is still waiting for the client. An open
    request whose email never went out is cancelled here, so it blocks nothing."""
    waiting = _open_requests(client, instrument, now)
    waiting.filter(reminder__status__in=NEVER_DELIVERED).update(cancelled_at=now)
    return waiting.exists()


def _request_create(
    *,
    client: Client,
    instrument: str,
    now: datetime.datetime,
    requested_by: User | None = None,
    schedule: MeasureSchedule | None = None,
) -> MeasureRequest:
    measure_request = MeasureRequest.objects.create(
        client=client,
        instrument=instrument,
        requested_by=requested_by,
        schedule=schedule,
        created_at=now,
        expires_at=now + _lifetime(),
    )
    # Due at once; the dispatcher holds it back during the client's quiet hours.
    Reminder.objects.create(
        measure_request=measure_request, kind=ReminderKind.MEASURE, due_at=now, created_at=now
    )
    return measure_request


@transaction.atomic
def measure_request_send(
    *, actor: User, client: Client, instrument: str, request: HttpRequest | None = None
) -> MeasureRequest:
    """The therapist sends one questionnaire now (by email, at the dispatcher's next run)."""
    ensure_access(actor, client, Need.CLINICIAN)
    _check_instrument(instrument)
    client = Client.objects.select_for_update().get(pk=client.pk)
    _check_reachable(client)
    now = timezone.now()
    if _has_open_request(client, instrument, now):
        raise ValidationError(
            {"instrument": "This questionnaire was already sent and is still waiting."}
        )
    measure_request = _request_create(
        client=client, instrument=instrument, now=now, requested_by=actor
    )
    audit(
        action=AuditAction.CREATE, actor=actor, client=client, obj=measure_request, request=request
    )
    return measure_request


@transaction.atomic
def measure_schedule_set(
    *,
    actor: User,
    client: Client,
    instrument: str,
    every_days: int,
    request: HttpRequest | None = None,
) -> MeasureSchedule:
    """Start "this instrument every N days", or change the interval of the running one."""
    ensure_access(actor, client, Need.CLINICIAN)
    _check_instrument(instrument)
    if not isinstance(every_days, int) or not 7 <= every_days <= 365:
        raise ValidationError({"every_days": "Choose between 7 and 365 days."})
    client = Client.objects.select_for_update().get(pk=client.pk)
    _check_reachable(client)
    schedule = MeasureSchedule.objects.filter(
        client=client, instrument=instrument, stopped_at__isnull=True
    ).first()
    if schedule is None:
        schedule = MeasureSchedule.objects.create(
            client=client, instrument=instrument, every_days=every_days, created_by=actor
        )
        action = AuditAction.CREATE
    else:
        schedule.every_days = every_days
        schedule.save(update_fields=["every_days"])
        action = AuditAction.UPDATE
    audit(action=action, actor=actor, client=client, obj=schedule, request=request)
    return schedule


@transaction.atomic
def measure_schedule_stop(
    *, actor: User, client: Client, instrument: str, request: HttpRequest | None = None
) -> MeasureSchedule | None:
    """Stop the running schedule. Idempotent. A request already sent stays answerable."""
    ensure_access(actor, client, Need.CLINICIAN)
    schedule = (
        MeasureSchedule.objects.select_for_update()
        .filter(client=client, instrument=instrument, stopped_at__isnull=True)
        .first()
    )
    if schedule is None:
        return None
    schedule.stopped_at = timezone.now()
    schedule.save(update_fields=["stopped_at"])
    audit(action=AuditAction.UPDATE, actor=actor, client=client, obj=schedule, request=request)
    return schedule


def _last_given(schedule: MeasureSchedule) -> datetime.datetime | None:
    """When the client last had this instrument: sent to them, or given in a session (the
    start of that day, in their time zone)."""
    moments = [schedule.last_requested_at]
    if schedule.last_administered_on is not None:
        tz = zoneinfo.ZoneInfo(schedule.client.time_zone)
        moments.append(
            datetime.datetime.combine(schedule.last_administered_on, datetime.time(), tzinfo=tz)
        )
    moments = [moment for moment in moments if moment is not None]
    return max(moments) if moments else None


def _is_due(schedule: MeasureSchedule, now: datetime.datetime) -> bool:
    last = _last_given(schedule)
    return last is None or now - last >= datetime.timedelta(days=schedule.every_days)


def schedules_to_plan():
    """Running schedules of active, consenting clients with an address, each with when it
    was last sent and last given: one query for the whole run."""
    same = {"client": OuterRef("client"), "instrument": OuterRef("instrument")}
    return (
        MeasureSchedule.objects.filter(
            stopped_at__isnull=True,
            client__status=ClientStatus.ACTIVE,
            client__restricted_at__isnull=True,
            client__email_consent_at__isnull=False,
            client__email_consent_withdrawn_at__isnull=True,
        )
        .exclude(client__contact_email="")
        .annotate(
            last_requested_at=Subquery(
                MeasureRequest.objects.filter(**same)
                .order_by("-created_at")
                .values("created_at")[:1]
            ),
            last_administered_on=Subquery(
                OutcomeMeasure.objects.filter(**same)
                .order_by("-administered_on")
                .values("administered_on")[:1]
            ),
        )
        .select_related("client")
        .order_by("pk")
    )


def measure_requests_plan(*, now: datetime.datetime) -> int:
    """Send what the schedules say is due. Returns how many requests it made.

    Safe to run twice or in two workers at once: each due schedule is re-read under its
    client's row lock before a request is made, so the second run sees the first one's.
    """
    made = 0
    for candidate in schedules_to_plan().iterator(chunk_size=2_000):
        if not _is_due(candidate, now):
            continue
        with transaction.atomic():
            client = Client.objects.select_for_update().get(pk=candidate.client_id)
            schedule = schedules_to_plan().filter(pk=candidate.pk).first()
            if schedule is None or not _is_due(schedule, now):
                continue  # stopped, consent withdrawn, or another run was first
            if _has_open_request(client, schedule.instrument, now):
                continue
            _request_create(
                client=client, instrument=schedule.instrument, now=now, schedule=schedule
            )
            made += 1
    return made


@dataclass(frozen=True)
class MeasureRequestsPage:
    instruments: list[tuple[str, str]]
    schedules: list[MeasureSchedule]
    requests: list[MeasureRequest]
    can_send: bool
    why_not: str


def measure_requests_page(*, client: Client) -> MeasureRequestsPage:
    """What the therapist's page shows. A read: it belongs in clients/selectors/ when that
    package is next touched; it lives here beside the only writes it describes."""
    try:
        _check_reachable(client)
    except (ValidationError, PermissionDenied) as error:
        can_send, why_not = False, " ".join(getattr(error, "messages", [str(error)]))
    else:
        can_send, why_not = True, ""
    return MeasureRequestsPage(
        instruments=[(key, Instrument(key).label) for key in CLIENT_INSTRUMENTS],
        schedules=list(client.measure_schedules.filter(stopped_at__isnull=True)),
        requests=list(
            client.measure_requests.select_related("reminder", "measure", "schedule").order_by(
                "-created_at"
            )[:50]
        ),
        can_send=can_send,
        why_not=why_not,
    )


def _client_today(client: Client) -> datetime.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(client.time_zone)).date()


@transaction.atomic
def measure_request_complete(
    *,
    measure_request_id: int,
    responses: Mapping[str, int | str],
    request: HttpRequest | None = None,
) -> OutcomeMeasure:
    """The client's answers, from the link in their email. Works once.

    The conditional UPDATE claims the request: of two POSTs, only one finds it still open,
    and the other stores nothing. A failure to store rolls the claim back with it.

    The UPDATE tests the request's own columns only. A condition through a join (the
    client's status) would make Django write `WHERE id IN (SELECT ...)`, and PostgreSQL
    re-checks a row it waited for against the new version of the row, not against a
    subquery it already ran: both POSTs would claim it.
    """
    now = timezone.now()
    closed = RequestClosed("This questionnaire is closed: it was completed or has expired.")
    claimed = MeasureRequest.objects.filter(
        pk=measure_request_id,
        completed_at__isnull=True,
        cancelled_at__isnull=True,
        expires_at__gt=now,
    ).update(completed_at=now)
    if not claimed:
        raise closed
    measure_request = MeasureRequest.objects.select_related("client__practice").get(
        pk=measure_request_id
    )
    client = measure_request.client
    if not client.is_active:
        raise closed  # rolls the claim back: a discharged client's request stays as it was
    measure = outcome_measure_store(
        client=client,
        instrument=measure_request.instrument,
        responses=responses,
        administered_on=_client_today(client),
        source=MeasureSource.CLIENT,
        measure_request=measure_request,
    )
    # The client's own answer: no staff actor, as with "I went" (clients.services.client_replies).
    audit(action=AuditAction.CREATE, client=client, obj=measure, request=request, by_client=True)
    return measure
