"""The reminder planner: which rows it writes, when they fall due, and what cancels them.

Nothing here sends mail. Time is frozen at named instants; the planner takes `now` itself.
"""

import datetime
import zoneinfo
from unittest import mock

import pytest
import time_machine
from celery.app.task import Task
from django.db import IntegrityError, transaction

from clients.models import (
    ClientStatus,
    MeetingPlan,
    Recurrence,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from clients.services import client_update, meeting_plan_create, meeting_plan_end
from clients.services.client_page import (
    client_reminders_pause,
    client_reminders_resume,
    client_settings_update,
)
from clients.services.consent import (
    email_consent_record,
    email_consent_withdraw,
    reminder_preferences_update,
)
from clients.services.reminders import (
    in_quiet_hours,
    plans_to_remind,
    reminders_claim,
    reminders_plan,
)
from clients.services.reminders.planning import _MeetingInWindow
from clients.tasks import plan_reminders
from groups.importers import feed_import
from groups.models import Feed, FeedFormat, Meeting
from recovery.celery import app
from tests.clients.conftest import CONSENTED_AT, PLANNED_AT
from tests.factories import ClientFactory, MeetingFactory, MeetingPlanFactory

UTC = datetime.UTC
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LONDON = zoneinfo.ZoneInfo("Europe/London")
BEFORE, CHECKIN = ReminderKind.BEFORE, ReminderKind.CHECKIN

# Monday 6 April 2026, 11:00 in New York (EDT, UTC-4).
NOW = datetime.datetime(2026, 4, 6, 15, 0, tzinfo=UTC)
# The factory's meeting: Tuesdays 19:00-20:00 in New York, the next one on 7 April.
TUESDAY_EVENING = datetime.datetime(2026, 4, 7, 23, 0, tzinfo=UTC)
HOUR, MINUTE = datetime.timedelta(hours=1), datetime.timedelta(minutes=1)
NO_QUIET_HOURS = {"quiet_hours_start": datetime.time(0, 0), "quiet_hours_end": datetime.time(0, 0)}


def planned(**filters) -> set[tuple]:
    rows = Reminder.objects.filter(**filters)
    return {(row.plan_id, row.occurrence_start, row.kind, row.due_at) for row in rows}


def set_client(client, **fields):
    for name, value in fields.items():
        setattr(client, name, value)
    client.save()


# --- What the planner writes --------------------------------------------------------------


def test_planner_writes_a_before_and_a_checkin_row_for_each_occurrence_in_the_next_48_hours(
    consenting_client, make_plan
):
    set_client(consenting_client, checkin_delay_minutes=30)
    tuesday = make_plan()
    # Wednesday 10:00 EDT is 47 hours away: inside. Wednesday 12:00 EDT is 49: outside.
    wednesday_morning = make_plan(
        day=3, start_time=datetime.time(10, 0), end_time=datetime.time(11, 0)
    )
    make_plan(day=3, start_time=datetime.time(12, 0), end_time=datetime.time(13, 0))

    reminders_plan(now=NOW)

    wednesday_start = datetime.datetime(2026, 4, 8, 14, 0, tzinfo=UTC)
    assert planned() == {
        # Two hours ahead (the client's lead time), and 30 minutes after the hour-long meeting.
        (tuesday.pk, TUESDAY_EVENING, BEFORE, TUESDAY_EVENING - 2 * HOUR),
        (tuesday.pk, TUESDAY_EVENING, CHECKIN, TUESDAY_EVENING + 90 * MINUTE),
        (wednesday_morning.pk, wednesday_start, BEFORE, wednesday_start - 2 * HOUR),
        (wednesday_morning.pk, wednesday_start, CHECKIN, wednesday_start + 90 * MINUTE),
    }
    assert set(Reminder.objects.values_list("status", "attempts")) == {(ReminderStatus.QUEUED, 0)}


def test_running_the_planner_again_writes_nothing_new(consenting_client, make_plan):
    make_plan()
    reminders_plan(now=NOW)
    first = planned()

    reminders_plan(now=NOW)
    reminders_plan(now=NOW + 5 * MINUTE)  # beat's next run

    assert planned() == first
    assert Reminder.objects.count() == 2


def test_the_database_refuses_a_second_row_for_the_same_occurrence_and_kind(
    consenting_client, make_plan
):
    plan = make_plan()
    reminders_plan(now=NOW)

    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            plan=plan, occurrence_start=TUESDAY_EVENING, kind=BEFORE, due_at=NOW
        )


def test_a_before_reminder_whose_lead_time_has_passed_is_due_at_once(consenting_client, make_plan):
    plan = make_plan()
    an_hour_before = TUESDAY_EVENING - HOUR  # the two-hour lead time has passed

    reminders_plan(now=an_hour_before)

    assert (plan.pk, TUESDAY_EVENING, BEFORE, an_hour_before) in planned()


def test_a_meeting_under_way_gets_its_checkin_but_no_before_reminder(consenting_client, make_plan):
    set_client(consenting_client, checkin_delay_minutes=30)
    plan = make_plan()

    reminders_plan(now=TUESDAY_EVENING + 10 * MINUTE)

    assert planned(plan=plan) == {
        (plan.pk, TUESDAY_EVENING, CHECKIN, TUESDAY_EVENING + 90 * MINUTE)
    }


def test_a_client_who_turned_checkins_off_gets_only_the_before_reminder(
    consenting_client, make_plan
):
    set_client(consenting_client, checkin_enabled=False)
    make_plan()

    reminders_plan(now=NOW)

    assert set(Reminder.objects.values_list("kind", flat=True)) == {BEFORE}


@pytest.mark.parametrize(
    "starts_on, until",
    [
        (datetime.date(2026, 4, 8), None),  # the plan starts the day after
        (datetime.date(2026, 3, 1), datetime.date(2026, 4, 6)),  # it ended the day before
    ],
)
def test_occurrences_outside_the_plans_dates_get_no_rows(
    consenting_client, make_plan, starts_on, until
):
    plan = make_plan(starts_on=starts_on)
    plan.until = until
    plan.save()

    reminders_plan(now=NOW)

    assert not Reminder.objects.exists()


def never_consented(client, plan):
    client.email_consent_at = client.email_consent_recorded_by = None
    client.save()


def consent_withdrawn(client, plan):
    client.email_consent_withdrawn_at = NOW - 24 * HOUR
    client.save()


def discharged(client, plan):
    client.status, client.discharged_on = ClientStatus.DISCHARGED, datetime.date(2026, 4, 1)
    client.save()


def no_email_address(client, plan):
    client.contact_email = ""
    client.save()


def plan_ended(client, plan):
    plan.cancelled_at = NOW - 24 * HOUR
    plan.save()


def meeting_delisted(client, plan):
    plan.meeting.is_active = False
    plan.meeting.save()


@pytest.mark.parametrize(
    "situation",
    [
        never_consented,
        consent_withdrawn,
        discharged,
        no_email_address,
        plan_ended,
        meeting_delisted,
    ],
)
def test_planner_writes_no_rows_for(consenting_client, make_plan, situation):
    plan = make_plan()
    situation(consenting_client, plan)

    assert reminders_plan(now=NOW) == 0
    assert not Reminder.objects.exists()


def test_creating_a_plan_queues_no_task_and_writes_no_reminder_rows(
    therapist, consenting_client, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory()
    with (
        time_machine.travel(NOW, tick=False),
        mock.patch.object(Task, "apply_async") as apply_async,
        mock.patch.object(app, "send_task") as send_task,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        meeting_plan_create(
            actor=therapist,
            client=consenting_client,
            meeting=meeting,
            recurrence=Recurrence.WEEKLY,
            starts_on=NOW.date(),
        )

    apply_async.assert_not_called()
    send_task.assert_not_called()
    assert callbacks == []
    assert not Reminder.objects.exists()
    # The rows come from the planner, on beat's next run.
    assert reminders_plan(now=NOW) == 2
    assert Reminder.objects.count() == 2


def test_the_planning_task_plans_from_the_current_time(consenting_client, make_plan):
    make_plan()

    with time_machine.travel(NOW, tick=False):
        offered = plan_reminders.apply().get()

    assert offered == 2
    assert set(Reminder.objects.values_list("occurrence_start", flat=True)) == {TUESDAY_EVENING}


# --- Consent, discharge and ended plans cancel what is queued ------------------------------


@pytest.mark.parametrize("by_client", [False, True], ids=["by_therapist", "by_client"])
def test_withdrawing_consent_cancels_queued_and_in_flight_rows_and_keeps_sent_ones(
    therapist, consenting_client, make_plan, by_client
):
    make_plan()
    make_plan(day=3, start_time=datetime.time(10, 0), end_time=datetime.time(11, 0))
    reminders_plan(now=NOW)
    first, second, third, fourth = Reminder.objects.order_by("due_at")
    Reminder.objects.filter(pk=first.pk).update(status=ReminderStatus.SENT, sent_at=NOW)
    Reminder.objects.filter(pk=second.pk).update(status=ReminderStatus.FAILED)
    claimed = reminders_claim(now=third.due_at, limit=1)  # a worker holds the third one
    assert [pk for pk, _at in claimed] == [third.pk]

    with time_machine.travel(NOW + HOUR, tick=False):
        email_consent_withdraw(
            client=consenting_client, actor=None if by_client else therapist, by_client=by_client
        )

    statuses = dict(Reminder.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: ReminderStatus.SENT,
        second.pk: ReminderStatus.FAILED,
        third.pk: ReminderStatus.CANCELLED,
        fourth.pk: ReminderStatus.CANCELLED,
    }
    # Next week's planner runs write nothing for this client.
    assert reminders_plan(now=NOW + 7 * 24 * HOUR) == 0


def test_withdrawing_consent_leaves_other_clients_reminders_alone(
    therapist, consenting_client, make_plan
):
    other = ClientFactory(
        primary_therapist=therapist,
        email_consent_at=NOW - 24 * HOUR,
        email_consent_recorded_by=therapist,
    )
    make_plan()
    make_plan(client=other)
    reminders_plan(now=NOW)

    with time_machine.travel(NOW, tick=False):
        email_consent_withdraw(client=consenting_client, actor=therapist)

    assert set(Reminder.objects.filter(plan__client=other).values_list("status", flat=True)) == {
        ReminderStatus.QUEUED
    }


def test_discharging_a_client_cancels_everything_queued(therapist, consenting_client, make_plan):
    make_plan()
    reminders_plan(now=NOW)

    with time_machine.travel(NOW, tick=False):
        client_update(
            actor=therapist,
            client=consenting_client,
            status=ClientStatus.DISCHARGED,
            discharged_on=NOW.date(),
        )

    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.CANCELLED}


def test_ending_a_plan_cancels_its_queued_reminders_only(therapist, consenting_client, make_plan):
    ended, kept = make_plan(), make_plan()
    reminders_plan(now=NOW)

    with time_machine.travel(NOW, tick=False):
        meeting_plan_end(actor=therapist, plan=ended)

    assert set(Reminder.objects.filter(plan=ended).values_list("status", flat=True)) == {
        ReminderStatus.CANCELLED
    }
    assert set(Reminder.objects.filter(plan=kept).values_list("status", flat=True)) == {
        ReminderStatus.QUEUED
    }


def test_a_plan_made_after_this_mornings_meeting_gets_no_checkin_for_it(
    consenting_client, make_plan
):
    # Tuesday 7 April, 09:00-10:00 in New York; the plan is made at 14:00 that afternoon.
    morning = datetime.datetime(2026, 4, 7, 13, 0, tzinfo=UTC)
    afternoon = morning + 5 * HOUR
    plan = make_plan(
        starts_on=datetime.date(2026, 4, 7),
        created_at=afternoon,
        start_time=datetime.time(9, 0),
        end_time=datetime.time(10, 0),
    )

    reminders_plan(now=afternoon)

    assert not Reminder.objects.filter(plan=plan, occurrence_start=morning).exists()


# --- Quiet hours ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, end, local_time, quiet",
    [
        ((21, 0), (8, 0), (20, 59), False),
        ((21, 0), (8, 0), (21, 0), True),  # quiet hours begin on the minute
        ((21, 0), (8, 0), (23, 30), True),
        ((21, 0), (8, 0), (3, 0), True),
        ((21, 0), (8, 0), (7, 59), True),
        ((21, 0), (8, 0), (8, 0), False),  # and end on it
        ((13, 0), (15, 0), (12, 59), False),  # quiet hours inside one day
        ((13, 0), (15, 0), (13, 0), True),
        ((13, 0), (15, 0), (15, 0), False),
        ((0, 0), (0, 0), (3, 0), False),  # start == end: no quiet hours
    ],
)
def test_quiet_hours_are_read_on_the_clients_clock(start, end, local_time, quiet):
    client = ClientFactory.build(
        time_zone="America/New_York",
        quiet_hours_start=datetime.time(*start),
        quiet_hours_end=datetime.time(*end),
    )
    moment = datetime.datetime.combine(
        datetime.date(2026, 4, 6), datetime.time(*local_time), tzinfo=NEW_YORK
    )

    assert in_quiet_hours(moment.astimezone(UTC), client) is quiet


def test_a_before_reminder_due_in_quiet_hours_waits_until_they_end(consenting_client, make_plan):
    # Tuesday 09:00 EDT: two hours ahead is 07:00, inside 21:00-08:00.
    plan = make_plan(start_time=datetime.time(9, 0), end_time=datetime.time(10, 0))
    start = datetime.datetime(2026, 4, 7, 13, 0, tzinfo=UTC)

    reminders_plan(now=NOW)

    before = Reminder.objects.get(plan=plan, kind=BEFORE)
    assert before.occurrence_start == start
    assert before.due_at == datetime.datetime(2026, 4, 7, 8, 0, tzinfo=NEW_YORK)


def test_a_before_reminder_is_skipped_when_quiet_hours_end_after_the_meeting_starts(
    consenting_client, make_plan
):
    # Tuesday 07:30 EDT: quiet hours end at 08:00, after it has started.
    plan = make_plan(start_time=datetime.time(7, 30), end_time=datetime.time(8, 30))

    reminders_plan(now=NOW)

    assert set(Reminder.objects.filter(plan=plan).values_list("kind", flat=True)) == {CHECKIN}


def test_a_checkin_due_in_quiet_hours_waits_for_the_morning(consenting_client, make_plan):
    # The meeting ends at 20:00; an hour later is 21:00, the first quiet minute.
    plan = make_plan()

    reminders_plan(now=NOW)

    checkin = Reminder.objects.get(plan=plan, kind=CHECKIN)
    assert checkin.due_at == datetime.datetime(2026, 4, 8, 8, 0, tzinfo=NEW_YORK)


def test_quiet_hours_follow_the_clients_time_zone_not_the_meetings(consenting_client, make_plan):
    # An online meeting at 19:00 in New York is midnight in London (BST).
    set_client(consenting_client, time_zone="Europe/London")
    plan = make_plan()

    reminders_plan(now=NOW)

    # 22:00 London is quiet and the quiet hours end after the start: no before reminder.
    # The check-in (02:00 London) waits for 08:00 London.
    assert planned(plan=plan) == {
        (
            plan.pk,
            TUESDAY_EVENING,
            CHECKIN,
            datetime.datetime(2026, 4, 8, 8, 0, tzinfo=LONDON).astimezone(UTC),
        )
    }


def test_a_client_without_quiet_hours_gets_the_reminder_at_dawn(consenting_client, make_plan):
    set_client(consenting_client, **NO_QUIET_HOURS)
    plan = make_plan(start_time=datetime.time(7, 30), end_time=datetime.time(8, 30))

    reminders_plan(now=NOW)

    before = Reminder.objects.get(plan=plan, kind=BEFORE)
    assert before.due_at == datetime.datetime(2026, 4, 7, 5, 30, tzinfo=NEW_YORK)


# --- Daylight saving time (America/New_York, 2026) -----------------------------------------

# Sunday 8 March: at 02:00 EST the clocks jump to 03:00 EDT.
SPRING_FORWARD_EVE = datetime.datetime(2026, 3, 7, 17, 0, tzinfo=UTC)
# Sunday 1 November: at 02:00 EDT the clocks fall back to 01:00 EST; 01:30 happens twice.
FALL_BACK_EVE = datetime.datetime(2026, 10, 31, 16, 0, tzinfo=UTC)


def make_dst_plan(client, make_plan, start_time):
    set_client(client, checkin_enabled=False, reminder_lead_minutes=60, **NO_QUIET_HOURS)
    return make_plan(
        day=0,  # Sunday
        start_time=start_time,
        end_time=datetime.time(start_time.hour + 1, start_time.minute),
        starts_on=datetime.date(2026, 2, 1),
    )


def test_a_meeting_at_0230_on_spring_forward_day_gets_one_reminder_at_0330_edt(
    consenting_client, make_plan
):
    plan = make_dst_plan(consenting_client, make_plan, datetime.time(2, 30))
    # 02:30 does not exist that night; the meeting is taken to start an hour later, 03:30 EDT.
    start = datetime.datetime(2026, 3, 8, 7, 30, tzinfo=UTC)

    reminders_plan(now=SPRING_FORWARD_EVE)
    reminders_plan(now=datetime.datetime(2026, 3, 8, 6, 0, tzinfo=UTC))  # 01:00 EST, later

    assert planned() == {(plan.pk, start, BEFORE, start - HOUR)}
    assert start.astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:30 EDT"


def test_the_weekly_meeting_keeps_its_wall_clock_time_across_spring_forward(
    consenting_client, make_plan
):
    plan = make_dst_plan(consenting_client, make_plan, datetime.time(2, 30))

    starts = plan.occurrences(
        datetime.datetime(2026, 3, 1, tzinfo=UTC), datetime.datetime(2026, 3, 16, tzinfo=UTC)
    )

    assert starts == [
        datetime.datetime(2026, 3, 1, 7, 30, tzinfo=UTC),  # 02:30 EST
        datetime.datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # 03:30 EDT: 02:30 was skipped
        datetime.datetime(2026, 3, 15, 6, 30, tzinfo=UTC),  # 02:30 EDT
    ]


def test_a_meeting_at_0130_on_fall_back_day_gets_one_reminder_at_the_first_0130(
    consenting_client, make_plan
):
    plan = make_dst_plan(consenting_client, make_plan, datetime.time(1, 30))
    first_0130 = datetime.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT

    reminders_plan(now=FALL_BACK_EVE)
    # Between the two 01:30s: the second one (06:30 UTC, EST) must not get a row of its own.
    reminders_plan(now=datetime.datetime(2026, 11, 1, 5, 45, tzinfo=UTC))

    assert planned() == {(plan.pk, first_0130, BEFORE, first_0130 - HOUR)}
    assert first_0130.astimezone(NEW_YORK).strftime("%H:%M %Z") == "01:30 EDT"


def test_the_weekly_meeting_keeps_its_wall_clock_time_across_fall_back(
    consenting_client, make_plan
):
    plan = make_dst_plan(consenting_client, make_plan, datetime.time(1, 30))

    starts = plan.occurrences(
        datetime.datetime(2026, 10, 25, tzinfo=UTC), datetime.datetime(2026, 11, 9, tzinfo=UTC)
    )

    assert starts == [
        datetime.datetime(2026, 10, 25, 5, 30, tzinfo=UTC),  # 01:30 EDT
        datetime.datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # the first 01:30, EDT
        datetime.datetime(2026, 11, 8, 6, 30, tzinfo=UTC),  # 01:30 EST
    ]


def test_quiet_hours_end_at_0800_edt_on_spring_forward_day(consenting_client, make_plan):
    # The reminder three hours before a 10:00 meeting would be at 07:00 EDT, still quiet; the
    # quiet hours end at 08:00 on the new clock (12:00 UTC), not the old one (13:00 UTC).
    set_client(consenting_client, reminder_lead_minutes=180)
    plan = make_plan(day=0, start_time=datetime.time(10, 0), end_time=datetime.time(11, 0))

    reminders_plan(now=SPRING_FORWARD_EVE)

    before = Reminder.objects.get(plan=plan, kind=BEFORE)
    assert before.due_at == datetime.datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


# --- Cost ---------------------------------------------------------------------------------


@pytest.mark.parametrize("plans", [2, 8])
def test_the_planner_runs_in_a_fixed_number_of_queries_however_many_plans(
    consenting_client, make_plan, django_assert_num_queries, plans
):
    for _ in range(plans):
        make_plan()

    # The rows already planned, the plans with their clients and meetings, one insert.
    with django_assert_num_queries(3):
        reminders_plan(now=NOW)

    assert Reminder.objects.count() == 2 * plans


# --- Incremental planning: a run reads only the plans it may have something to write for ---

NEXT_TUESDAY = TUESDAY_EVENING + 7 * 24 * HOUR
WEEK = 7 * 24 * HOUR


def plan_again(now):
    """One planner run at `now`, with the wall clock there too (so updated_at agrees)."""
    with time_machine.travel(now, tick=False):
        return reminders_plan(now=now)


def test_a_plan_is_planned_through_its_meetings_first_start_past_the_horizon(
    consenting_client, make_plan
):
    plan = make_plan()

    reminders_plan(now=NOW)

    plan.refresh_from_db()
    # The window ends on Wednesday 8 April at 15:00 UTC; the next Tuesday evening is after it.
    assert plan.reminders_planned_through == NEXT_TUESDAY
    assert plan.reminders_client_version == consenting_client.updated_at
    assert plan.reminders_meeting_version == plan.meeting.updated_at


def test_a_run_with_nothing_new_reads_no_plan_and_writes_nothing(
    consenting_client, make_plan, django_assert_num_queries
):
    for _ in range(3):
        make_plan()
    plan_again(NOW)

    # One query, finding no plan to read: no insert, no marks.
    with django_assert_num_queries(1):
        assert reminders_plan(now=NOW + 5 * MINUTE) == 0


def test_next_weeks_meeting_is_planned_on_the_first_run_that_finds_it_inside_the_horizon(
    consenting_client, make_plan
):
    plan = make_plan()
    plan_again(NOW)
    # The window is [now - 12 h, now + 48 h): next Tuesday is inside once now + 48 h is past it.
    assert plan_again(NEXT_TUESDAY - 48 * HOUR) == 0
    assert plan_again(NEXT_TUESDAY - 48 * HOUR + 5 * MINUTE) == 2

    assert {start for _plan, start, _kind, _due in planned()} == {TUESDAY_EVENING, NEXT_TUESDAY}
    plan.refresh_from_db()
    assert plan.reminders_planned_through == NEXT_TUESDAY + WEEK


def test_a_plan_made_after_a_run_is_planned_on_the_next(therapist, consenting_client, make_plan):
    make_plan()
    plan_again(NOW)
    meeting = MeetingFactory(day=3, start_time=datetime.time(10, 0), end_time=datetime.time(11, 0))
    with time_machine.travel(NOW + MINUTE, tick=False):
        plan = meeting_plan_create(
            actor=therapist,
            client=consenting_client,
            meeting=meeting,
            recurrence=Recurrence.ONCE,
            starts_on=NOW.date(),
        )

    assert plan_again(NOW + 5 * MINUTE) == 2
    assert set(Reminder.objects.filter(plan=plan).values_list("kind", flat=True)) == {
        BEFORE,
        CHECKIN,
    }


def test_a_longer_lead_time_plans_the_before_reminder_quiet_hours_had_left_out(
    therapist, consenting_client, make_plan
):
    # Tuesday 07:30 EDT: two hours ahead is inside quiet hours, which end after it starts.
    plan = make_plan(start_time=datetime.time(7, 30), end_time=datetime.time(8, 30))
    start = datetime.datetime(2026, 4, 7, 11, 30, tzinfo=UTC)
    plan_again(NOW)
    assert not Reminder.objects.filter(plan=plan, kind=BEFORE).exists()

    with time_machine.travel(NOW + MINUTE, tick=False):
        reminder_preferences_update(
            actor=therapist, client=consenting_client, reminder_lead_minutes=12 * 60
        )
    assert plan_again(NOW + 5 * MINUTE) == 1

    # Twelve hours ahead: Monday 19:30 EDT, before the quiet hours.
    assert (plan.pk, start, BEFORE, start - 12 * HOUR) in planned()


def test_a_lead_time_set_on_the_clients_page_applies_to_the_next_meeting_planned(
    consenting_client, make_plan
):
    plan = make_plan()
    plan_again(NOW)
    with time_machine.travel(NOW + HOUR, tick=False):
        client_settings_update(client=consenting_client, reminder_lead_minutes=24 * 60)

    plan_again(NEXT_TUESDAY - 47 * HOUR)

    assert (plan.pk, NEXT_TUESDAY, BEFORE, NEXT_TUESDAY - 24 * HOUR) in planned()
    # Tonight's, planned before the change, keeps its time.
    assert (plan.pk, TUESDAY_EVENING, BEFORE, TUESDAY_EVENING - 2 * HOUR) in planned()


def test_turning_checkins_on_plans_the_checkin_for_a_meeting_already_planned(
    consenting_client, make_plan
):
    set_client(consenting_client, checkin_enabled=False)
    plan = make_plan()
    plan_again(NOW)
    with time_machine.travel(NOW + MINUTE, tick=False):
        client_settings_update(client=consenting_client, checkin_enabled=True)

    assert plan_again(NOW + 5 * MINUTE) == 1

    assert set(Reminder.objects.filter(plan=plan).values_list("kind", flat=True)) == {
        BEFORE,
        CHECKIN,
    }


def test_a_before_reminder_a_pause_left_out_is_planned_when_the_pause_ends(
    consenting_client, make_plan
):
    set_client(consenting_client, reminder_lead_minutes=2 * 24 * 60)
    plan = make_plan()
    plan_again(NOW)
    with time_machine.travel(NOW + 5 * MINUTE, tick=False):
        client_reminders_pause(client=consenting_client, weeks=1)
    pause_ends = NOW + 5 * MINUTE + WEEK  # Monday 13 April, 11:05 EDT

    # Next Tuesday comes inside the horizon during the pause: its reminder two days ahead
    # would be due during it (not planned), its check-in after it (planned).
    plan_again(NEXT_TUESDAY - 47 * HOUR)
    assert planned(plan=plan, occurrence_start=NEXT_TUESDAY) == {
        (plan.pk, NEXT_TUESDAY, CHECKIN, datetime.datetime(2026, 4, 15, 8, 0, tzinfo=NEW_YORK))
    }
    assert plan_again(pause_ends - MINUTE) == 0

    # When the pause ends the meeting is still to come: its reminder goes out at once.
    assert plan_again(pause_ends) == 1
    assert (plan.pk, NEXT_TUESDAY, BEFORE, pause_ends) in planned()


def test_resuming_reminders_plans_what_the_pause_left_out(consenting_client, make_plan):
    plan = make_plan()
    with time_machine.travel(NOW - HOUR, tick=False):
        client_reminders_pause(client=consenting_client, weeks=1)
    plan_again(NOW)
    assert not Reminder.objects.filter(plan=plan).exists()

    with time_machine.travel(NOW + HOUR, tick=False):
        client_reminders_resume(client=consenting_client)

    assert plan_again(NOW + HOUR + 5 * MINUTE) == 2
    assert {kind for _plan, _start, kind, _due in planned(plan=plan)} == {BEFORE, CHECKIN}


def test_a_meeting_moved_by_a_feed_import_is_planned_at_its_new_time(consenting_client, make_plan):
    feed = Feed.objects.create(
        name="Intergroup",
        format=FeedFormat.MEETING_GUIDE,
        source="feed.json",
        default_time_zone="America/New_York",
    )
    record = {"name": "Tuesday Night", "slug": "tuesday-night", "day": 2, "time": "19:00"}
    with time_machine.travel(NOW - 24 * HOUR, tick=False):
        feed_import(feed=feed, records_or_source=[record])
    meeting = Meeting.objects.get(feed=feed)
    plan = MeetingPlanFactory(
        client=consenting_client,
        meeting=meeting,
        starts_on=datetime.date(2026, 1, 1),
        created_at=NOW - 24 * HOUR,
    )
    plan_again(NOW)
    assert {start for _plan, start, _kind, _due in planned(plan=plan)} == {TUESDAY_EVENING}

    with time_machine.travel(NOW + HOUR, tick=False):
        report = feed_import(feed=feed, records_or_source=[{**record, "time": "20:00"}])
    assert report.updated == 1

    assert plan_again(NOW + HOUR + 5 * MINUTE) == 2
    later = TUESDAY_EVENING + HOUR
    assert {(kind, due) for _plan, start, kind, due in planned(plan=plan) if start == later} == {
        (BEFORE, later - 2 * HOUR),
        (CHECKIN, datetime.datetime(2026, 4, 8, 8, 0, tzinfo=NEW_YORK)),
    }


def test_a_meeting_listed_again_is_planned_again(consenting_client, make_plan):
    plan = make_plan()
    meeting_delisted(consenting_client, plan)
    plan_again(NOW)
    assert not Reminder.objects.exists()

    with time_machine.travel(NOW + HOUR, tick=False):
        plan.meeting.is_active = True
        plan.meeting.save()

    assert plan_again(NOW + HOUR + 5 * MINUTE) == 2


def test_consent_recorded_again_plans_the_occurrences_without_rows(
    therapist, consenting_client, make_plan
):
    plan = make_plan()
    with time_machine.travel(NOW - 24 * HOUR, tick=False):
        email_consent_withdraw(client=consenting_client, actor=therapist)
    plan_again(NOW)
    assert not Reminder.objects.exists()

    with time_machine.travel(NOW + HOUR, tick=False):
        email_consent_record(actor=therapist, client=consenting_client)

    assert plan_again(NOW + HOUR + 5 * MINUTE) == 2
    assert {start for _plan, start, _kind, _due in planned(plan=plan)} == {TUESDAY_EVENING}


def test_plans_past_their_end_are_no_longer_read(consenting_client, make_plan):
    weekly = make_plan(starts_on=datetime.date(2026, 3, 1))
    weekly.until = datetime.date(2026, 3, 31)
    weekly.save()
    once = make_plan(starts_on=datetime.date(2026, 3, 20))
    once.recurrence = Recurrence.ONCE
    once.save()
    running = make_plan()

    assert list(plans_to_remind(now=NOW)) == [running]


@pytest.mark.parametrize(
    "recurrence, starts_on, until",
    [
        (Recurrence.WEEKLY, datetime.date(2026, 2, 1), None),
        (Recurrence.WEEKLY, datetime.date(2026, 3, 8), None),  # from the spring-forward day
        (Recurrence.WEEKLY, datetime.date(2026, 3, 9), None),
        (Recurrence.WEEKLY, datetime.date(2026, 2, 1), datetime.date(2026, 3, 8)),
        (Recurrence.WEEKLY, datetime.date(2026, 2, 1), datetime.date(2026, 3, 7)),
        (Recurrence.ONCE, datetime.date(2026, 3, 2), None),
        (Recurrence.ONCE, datetime.date(2026, 3, 8), None),
        (Recurrence.ONCE, datetime.date(2026, 3, 9), None),
    ],
)
@pytest.mark.parametrize("start_time", [datetime.time(0, 0), datetime.time(2, 30)])
def test_the_planners_occurrences_are_the_plans_own(
    consenting_client, make_plan, recurrence, starts_on, until, start_time
):
    plan = make_plan(day=0, start_time=start_time, end_time=datetime.time(3, 30))
    plan.recurrence, plan.starts_on, plan.until = recurrence, starts_on, until
    # Around the spring-forward night, where 02:30 does not exist.
    window = (SPRING_FORWARD_EVE - 7 * 24 * HOUR, SPRING_FORWARD_EVE + 48 * HOUR)

    starts = _MeetingInWindow(plan.meeting, window).plan_starts(recurrence, starts_on, until)

    assert starts == plan.occurrences(*window)


# Wednesday 28 October 2026, 08:00 in New York; the clocks fall back on Sunday 1 November.
WEEK_OF_CHANGES = datetime.datetime(2026, 10, 28, 12, 0, tzinfo=UTC)
DAY = 24 * HOUR


def test_incremental_planning_writes_what_reading_every_plan_on_every_run_would(therapist):
    """Two mirrored caseloads over ten days of changes, planned by the same runs: the marks of
    one are wiped before every run, so each run reads all its plans, as the planner did before
    it kept marks. Both must end with the same rows, due at the same times."""
    meetings = {
        "tuesday": MeetingFactory(day=2, start_time=datetime.time(19, 0)),
        "sunday_0130": MeetingFactory(
            day=0, start_time=datetime.time(1, 30), end_time=datetime.time(2, 30)
        ),
        "london_wednesday": MeetingFactory(
            day=3,
            start_time=datetime.time(10, 0),
            end_time=datetime.time(11, 0),
            time_zone="Europe/London",
        ),
        "friday": MeetingFactory(day=5, start_time=datetime.time(19, 0)),
    }
    consented = {"email_consent_at": CONSENTED_AT, "email_consent_recorded_by": therapist}

    def caseload():
        clients = {
            "ana": ClientFactory(primary_therapist=therapist, **consented),
            "ben": ClientFactory(
                primary_therapist=therapist,
                time_zone="Europe/London",
                reminder_lead_minutes=24 * 60,
                **NO_QUIET_HOURS,
                **consented,
            ),
            "cy": ClientFactory(
                primary_therapist=therapist,
                checkin_enabled=False,
                reminder_lead_minutes=180,
                **consented,
            ),
        }
        made = PLANNED_AT

        def plan(client, meeting, **fields):
            fields.setdefault("starts_on", datetime.date(2026, 10, 1))
            return MeetingPlanFactory(
                client=clients[client], meeting=meetings[meeting], created_at=made, **fields
            )

        plans = {
            "ana_tuesday": plan("ana", "tuesday"),
            "ana_sunday": plan("ana", "sunday_0130", until=datetime.date(2026, 11, 3)),
            "ben_london": plan("ben", "london_wednesday"),
            "ben_friday": plan("ben", "friday"),
            "ben_once": plan(
                "ben", "tuesday", recurrence=Recurrence.ONCE, starts_on=datetime.date(2026, 11, 3)
            ),
            "cy_sunday": plan("cy", "sunday_0130"),
            "cy_london": plan("cy", "london_wednesday", starts_on=datetime.date(2026, 11, 4)),
        }
        return clients, plans

    def moved(meeting, **fields):
        def change(_clients, _plans):
            for name, value in fields.items():
                setattr(meetings[meeting], name, value)
            meetings[meeting].save()

        change.shared = True
        return change

    def new_plan(clients, plans):
        plans["cy_tuesday"] = meeting_plan_create(
            actor=therapist,
            client=clients["cy"],
            meeting=meetings["tuesday"],
            recurrence=Recurrence.WEEKLY,
            starts_on=datetime.date(2026, 11, 3),
        )

    def on(client, service, **arguments):
        def change(clients, _plans):
            service(client=clients[client], **arguments)

        return change

    def ended(plan):
        def change(_clients, plans):
            meeting_plan_end(actor=therapist, plan=plans[plan])

        return change

    # (days from the start, the change made to each caseload, or once to a shared meeting)
    events = [
        (0.3, on("cy", client_reminders_pause, weeks=1)),
        (1.1, on("ana", reminder_preferences_update, actor=therapist, reminder_lead_minutes=1440)),
        # Ends on Friday 6 November, 02:24 UTC, with Friday's 19:00 meeting still to come.
        (1.6, on("ben", client_reminders_pause, weeks=1)),
        (2.0, on("cy", client_reminders_resume)),
        (2.3, on("cy", client_settings_update, checkin_enabled=True)),
        (4.0, on("ana", email_consent_withdraw, actor=therapist)),
        (4.3, on("ana", email_consent_record, actor=therapist)),
        # Tuesday 3 November is already inside the horizon when its meeting moves.
        (5.0, moved("tuesday", start_time=datetime.time(20, 0), end_time=datetime.time(21, 0))),
        (5.1, new_plan),
        (6.2, on("ana", client_settings_update, **NO_QUIET_HOURS)),
        (7.0, ended("ana_tuesday")),
        (7.5, moved("london_wednesday", is_active=False)),
        (8.1, moved("london_wednesday", is_active=True, start_time=datetime.time(9, 0))),
        (
            9.0,
            on(
                "cy",
                client_update,
                actor=therapist,
                status=ClientStatus.DISCHARGED,
                discharged_on=datetime.date(2026, 11, 6),
            ),
        ),
    ]
    incremental, everything = caseload(), caseload()
    now = WEEK_OF_CHANGES
    while now < WEEK_OF_CHANGES + 10 * DAY:
        while events and WEEK_OF_CHANGES + events[0][0] * DAY <= now:
            days, change = events.pop(0)
            with time_machine.travel(WEEK_OF_CHANGES + days * DAY, tick=False):
                for clients, plans in (incremental, everything):
                    change(clients, plans)
                    if getattr(change, "shared", False):
                        break
        MeetingPlan.objects.filter(pk__in=[plan.pk for plan in everything[1].values()]).update(
            reminders_planned_through=None
        )
        plan_again(now)
        now += 30 * MINUTE

    def rows(plans):
        label = {plan.pk: name for name, plan in plans.items()}
        return {
            (label[row.plan_id], row.occurrence_start, row.kind, row.due_at, row.status)
            for row in Reminder.objects.filter(plan__in=plans.values())
        }

    assert rows(incremental[1]) == rows(everything[1])
    # The scenario did reach the changes that need a plan read again: the Friday reminder
    # due when Ben's pause ended, Tuesday's meeting at its new time, and the cancellations.
    written = rows(incremental[1])
    friday = datetime.datetime(2026, 11, 7, 0, 0, tzinfo=UTC)
    pause_over = datetime.datetime(2026, 11, 6, 2, 30, tzinfo=UTC)  # the first run after it
    assert ("ben_friday", friday, BEFORE, pause_over, ReminderStatus.QUEUED) in written
    moved_tuesday = datetime.datetime(2026, 11, 4, 1, 0, tzinfo=UTC)  # 20:00 EST
    assert "ana_tuesday" in {name for name, start, *_rest in written if start == moved_tuesday}
    assert ReminderStatus.CANCELLED in {status for *_rest, status in written}
