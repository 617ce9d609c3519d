"""Planning the reminder outbox: one row per email due, written idempotently (a unique
constraint per plan, occurrence and kind), and cancelling the open rows when a plan or a
client stops. Beat's plan_reminders runs reminders_plan every five minutes."""

import datetime
import logging
import zoneinfo

from django.conf import settings
from django.db import connection
from django.db.models import ExpressionWrapper, F, Q, TextField
from django.utils import timezone

from clients.models import (
    Client,
    ClientStatus,
    MeasureRequest,
    MeetingPlan,
    Recurrence,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from clients.services.reminders.common import (
    OPEN,
    ReminderPreferences,
    end_of_quiet_hours,
    in_quiet_hours,
)
from groups.models import Meeting

logger = logging.getLogger(__name__)

# Check-ins come after the meeting: the planner looks back far enough to plan those too.
LOOK_BACK = datetime.timedelta(hours=12)
# Rows inserted, and plans marked, per statement.
WRITE_BATCH_SIZE = 10_000


def due_times(
    client: Client | ReminderPreferences,
    start: datetime.datetime,
    *,
    duration: datetime.timedelta,
    plan_created_at: datetime.datetime,
    now: datetime.datetime,
) -> dict[str, datetime.datetime]:
    """When each kind of reminder for this occurrence should go out; a kind left out is not
    sent at all.

    Before the meeting: the client's lead time ahead, never in the past. Inside quiet hours
    it waits for their end if the meeting has not started by then, else it is skipped.
    The check-in: a set time after the meeting ends; inside quiet hours it waits for the
    morning, since "how did it go?" still means something the next day.
    """
    due: dict[str, datetime.datetime] = {}
    if start > now:
        before = max(start - datetime.timedelta(minutes=client.reminder_lead_minutes), now)
        if in_quiet_hours(before, client):
            before = end_of_quiet_hours(before, client)
        if before < start:
            due[ReminderKind.BEFORE] = before
    # No "how did it go?" for a meeting that had begun before the plan was made.
    if client.checkin_enabled and start >= plan_created_at:
        checkin = start + duration + datetime.timedelta(minutes=client.checkin_delay_minutes)
        if in_quiet_hours(checkin, client):
            checkin = end_of_quiet_hours(checkin, client)
        due[ReminderKind.CHECKIN] = checkin
    return due


def plans_to_remind(*, now: datetime.datetime):
    """Active plans of active clients whose consent to email is on record and not withdrawn,
    at a listed meeting, that can still have an occurrence in the planner's window.

    The dates are the meeting's own (UTC-12 to UTC+14): a weekly plan's last occurrence is
    before `until` + 1 day + 12 hours UTC, a one-off's before `starts_on` + 8 days + 12 hours
    UTC, and the window begins 12 hours ago; a day more keeps it plainly safe.
    """
    today = now.date()
    return MeetingPlan.objects.filter(
        Q(recurrence=Recurrence.WEEKLY)
        & (Q(until__isnull=True) | Q(until__gte=today - datetime.timedelta(days=3)))
        | Q(recurrence=Recurrence.ONCE, starts_on__gte=today - datetime.timedelta(days=10)),
        cancelled_at__isnull=True,
        client__status=ClientStatus.ACTIVE,
        client__email_consent_at__isnull=False,
        client__email_consent_withdrawn_at__isnull=True,
        meeting__is_active=True,
    )


def _needs_planning(window_end: datetime.datetime) -> Q:
    """A plan that is new, whose next unplanned occurrence is now inside the window, or whose
    client (preferences, pause, consent, address, time zone) or meeting (day, time, time zone)
    changed since it was planned: the rows that change could add are written on the next run."""
    return (
        Q(reminders_planned_through__isnull=True)
        | Q(reminders_planned_through__lte=window_end)
        | ~Q(reminders_client_version=F("client__updated_at"))
        | ~Q(reminders_meeting_version=F("meeting__updated_at"))
    )


# What planning reads, as plain values. Profiled over 100,000 plans, building a model
# instance for each plan, its client and its meeting took 7.6 s of a 41 s first run, and
# decrypting every client's address to see that there is one 6.1 s (it is now decrypted only
# for a plan with an occurrence in the window). The order is the loop's in reminders_plan.
_PLAN_VALUES = (
    "pk",
    "recurrence",
    "starts_on",
    "until",
    "created_at",
    "client__updated_at",
    "client__reminders_paused_until",
    "client__time_zone",
    "client__reminder_lead_minutes",
    "client__checkin_enabled",
    "client__checkin_delay_minutes",
    "client__quiet_hours_start",
    "client__quiet_hours_end",
    "meeting_id",
    "meeting__updated_at",
    "meeting__day",
    "meeting__start_time",
    "meeting__end_time",
    "meeting__time_zone",
)


class _MeetingInWindow:
    """One meeting's starts in the planner's window, worked out once per run for all of its
    plans (there are far fewer meetings than plans)."""

    def __init__(self, meeting: Meeting, window: tuple[datetime.datetime, datetime.datetime]):
        self.meeting = meeting
        self.window = window
        self.duration = meeting.duration
        self.starts = list(meeting.occurrences(*window))
        # Its first start at or after the window's end: nothing new for a plan until then.
        self.next_start = next(
            meeting.occurrences(window[1], window[1] + datetime.timedelta(days=8))
        )
        self._first_on_or_after: dict[datetime.date, datetime.datetime] = {}

    def plan_starts(
        self, recurrence: str, starts_on: datetime.date, until: datetime.date | None
    ) -> list[datetime.datetime]:
        """MeetingPlan.occurrences(*window) for a plan of this meeting, from the starts above."""
        tz = zoneinfo.ZoneInfo(self.meeting.time_zone)
        first = datetime.datetime.combine(starts_on, datetime.time.min, tzinfo=tz)
        if recurrence == Recurrence.ONCE:
            if starts_on not in self._first_on_or_after:
                self._first_on_or_after[starts_on] = next(
                    self.meeting.occurrences(first, first + datetime.timedelta(days=8))
                )
            only = self._first_on_or_after[starts_on]
            return [only] if self.window[0] <= only < self.window[1] else []
        last = datetime.datetime.combine(until, datetime.time.max, tzinfo=tz) if until else None
        return [start for start in self.starts if first <= start and (last is None or start < last)]


def reminders_plan(*, now: datetime.datetime, horizon: datetime.timedelta | None = None) -> int:
    """Write the reminder rows for occurrences in the next `horizon` (48 hours).

    Incremental: a run reads only the plans `_needs_planning` names, writes their rows, then
    marks each with its meeting's first start past the window and the versions it planned
    with. A weekly plan is read about once a week, when its next meeting comes inside the
    horizon, so a run with nothing new to write reads no plan at all. A before reminder left
    out because the client paused them is looked at again when the pause ends (the planner
    would write it then, due at once, if the meeting has not begun).

    Safe to run twice, or in two workers at once: a row already there is left as it is (the
    unique constraint settles any race), and the marks are written after the rows, so a run
    that dies in between only plans those plans again. Returns how many rows it wrote.
    """
    horizon = horizon or datetime.timedelta(hours=settings.REMINDER_HORIZON_HOURS)
    window = (now - LOOK_BACK, now + horizon)
    candidates = (
        plans_to_remind(now=now)
        .filter(_needs_planning(window[1]))
        # The address as stored (a token), decrypted below only where it is needed.
        .annotate(email_token=ExpressionWrapper(F("client__contact_email"), TextField()))
        .values_list(*_PLAN_VALUES, "email_token")
        .order_by("pk")
    )
    email_field = Client._meta.get_field("contact_email")
    meetings: dict[int, _MeetingInWindow] = {}
    # Many clients share their preferences, and all plans of a meeting its starts.
    dues: dict[tuple, dict[str, datetime.datetime]] = {}
    rows: list[tuple[int, datetime.datetime, str, datetime.datetime]] = []
    marks: list[tuple[int, datetime.datetime, datetime.datetime, datetime.datetime]] = []
    for (
        pk,
        recurrence,
        starts_on,
        until,
        created_at,
        client_version,
        paused_until,
        *preferences,
        meeting_id,
        meeting_version,
        day,
        start_time,
        end_time,
        meeting_time_zone,
        email_token,
    ) in candidates.iterator(chunk_size=5_000):
        meeting = meetings.get(meeting_id)
        if meeting is None:
            meeting = meetings[meeting_id] = _MeetingInWindow(
                Meeting(
                    day=day, start_time=start_time, end_time=end_time, time_zone=meeting_time_zone
                ),
                window,
            )
        planned_through = meeting.next_start
        starts = meeting.plan_starts(recurrence, starts_on, until)
        # No address, nowhere to send: no rows to show as planned.
        if starts and email_field.from_db_value(email_token, None, connection):
            client = ReminderPreferences(*preferences)
            for start in starts:
                key = (client, meeting_id, start, start >= created_at)
                if key not in dues:
                    dues[key] = due_times(
                        client,
                        start,
                        duration=meeting.duration,
                        plan_created_at=created_at,
                        now=now,
                    )
                for kind, due in dues[key].items():
                    if paused_until is not None and due < paused_until:
                        # The client paused reminders on their page. A before reminder is
                        # due at once when the pause ends: look at this plan again then.
                        if kind == ReminderKind.BEFORE:
                            planned_through = min(planned_through, paused_until + horizon)
                        continue
                    if due >= window[0]:
                        rows.append((pk, start, kind, due))
        marks.append((pk, planned_through, client_version, meeting_version))
    written = _reminders_insert(rows)
    _plans_mark(marks)
    return written


def _batches(items: list, size: int = WRITE_BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _columns(model, *names: str) -> str:
    quote = connection.ops.quote_name
    return ", ".join(quote(model._meta.get_field(name).column) for name in names)


def _reminders_insert(rows: list[tuple[int, datetime.datetime, str, datetime.datetime]]) -> int:
    """Insert new rows (plan id, occurrence start, kind, due) as queued; a row already there
    is left alone. Returns how many were new.

    Not bulk_create: Django prepares every value of every row in Python, 9 s of a first run's
    61,400 rows (16 of 41 s under cProfile). On PostgreSQL one INSERT per batch takes four
    arrays (psycopg adapts a list of values at once); SQLite runs one statement per row with
    executemany, in its own process, which is quick.
    """
    if not rows:
        return 0
    created_at = timezone.now()
    table = connection.ops.quote_name(Reminder._meta.db_table)
    columns = _columns(
        Reminder, "plan", "occurrence_start", "kind", "due_at", "status", "attempts", "last_error"
    )
    columns += ", " + _columns(Reminder, "created_at")
    written = 0
    with connection.cursor() as cursor:
        for batch in _batches(rows):
            if connection.vendor == "postgresql":
                plan_ids, starts, kinds, dues = (
                    list(values) for values in zip(*batch, strict=True)
                )
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) "
                    "SELECT plan_id, occurrence_start, kind, due_at, %s, 0, '', %s "
                    "FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[], %s::timestamptz[])"
                    " AS new (plan_id, occurrence_start, kind, due_at) "
                    "ON CONFLICT DO NOTHING",
                    [ReminderStatus.QUEUED.value, created_at, plan_ids, starts, kinds, dues],
                )
            else:
                adapt = connection.ops.adapt_datetimefield_value
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, 0, '', %s) "
                    "ON CONFLICT DO NOTHING",
                    [
                        (
                            plan_id,
                            adapt(start),
                            kind,
                            adapt(due),
                            ReminderStatus.QUEUED.value,
                            adapt(created_at),
                        )
                        for plan_id, start, kind, due in batch
                    ],
                )
            written += cursor.rowcount
    return written


def _plans_mark(
    marks: list[tuple[int, datetime.datetime, datetime.datetime, datetime.datetime]],
) -> None:
    """Write where each plan read is planned through, and the versions it was planned with:
    values read in the same statement as everything planning used, so a change saved since
    differs from them. One UPDATE per batch (bulk_update's CASE per row is quadratic)."""
    if not marks:
        return
    table = connection.ops.quote_name(MeetingPlan._meta.db_table)
    fields = ("reminders_planned_through", "reminders_client_version", "reminders_meeting_version")
    pk = connection.ops.quote_name(MeetingPlan._meta.pk.column)
    with connection.cursor() as cursor:
        for batch in _batches(marks):
            if connection.vendor == "postgresql":
                assignments = ", ".join(
                    f"{connection.ops.quote_name(name)} = mark.{name}" for name in fields
                )
                cursor.execute(
                    f"UPDATE {table} SET {assignments} "
                    "FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[], "
                    f"%s::timestamptz[]) AS mark (id, {', '.join(fields)}) "
                    f"WHERE {table}.{pk} = mark.id",
                    [list(values) for values in zip(*batch, strict=True)],
                )
            else:
                adapt = connection.ops.adapt_datetimefield_value
                assignments = ", ".join(
                    f"{connection.ops.quote_name(name)} = %s" for name in fields
                )
                cursor.executemany(
                    f"UPDATE {table} SET {assignments} WHERE {pk} = %s",
                    [
                        (adapt(through), adapt(client_version), adapt(meeting_version), plan_id)
                        for plan_id, through, client_version, meeting_version in batch
                    ],
                )


def reminders_cancel(*, client: Client | None = None, plan: MeetingPlan | None = None) -> int:
    """Cancel what is still to be sent (consent withdrawn, client discharged, plan ended).

    A questionnaire whose email is cancelled before it went out is cancelled with it: the
    client never got its link. One already emailed stays answerable until it expires, as an
    answer to a check-in is recorded after consent to emails is withdrawn.
    """
    open_rows = Reminder.objects.filter(status__in=OPEN)
    if client is not None:
        open_rows = open_rows.filter(Q(plan__client=client) | Q(measure_request__client=client))
    if plan is not None:
        open_rows = open_rows.filter(plan=plan)
    MeasureRequest.objects.filter(
        reminder__in=open_rows.filter(kind=ReminderKind.MEASURE), cancelled_at__isnull=True
    ).update(cancelled_at=timezone.now())
    return open_rows.update(status=ReminderStatus.CANCELLED, last_error="")
