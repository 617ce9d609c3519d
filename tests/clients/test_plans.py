"""Planning meetings with a client and recording what happened at each occurrence."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.models import Attendance, LadderStep, MeetingPlan
from clients.services import attendance_record, meeting_plan_create
from recovery.models import AuditAction, AuditEvent
from tests.factories import LadderMoveFactory, MeetingFactory, MeetingPlanFactory

# Thursday Nov 26 2026, 12:00 in New York.
NOW = datetime.datetime(2026, 11, 26, 17, 0, tzinfo=datetime.UTC)
# The Tuesday 19:00 New York meeting two days earlier, in UTC.
LAST_TUESDAY = datetime.datetime(2026, 11, 25, 0, 0, tzinfo=datetime.UTC)


@pytest.fixture
def meeting(db):
    return MeetingFactory(name="Tuesday Night Open", day=2, attendance_option="online")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_plan_a_meeting_from_its_page(as_user, therapist, client_record, meeting):
    browser = as_user(therapist)
    page = browser.get(reverse("clients:meeting", args=[client_record.pk, meeting.pk]))
    assert "Plan this meeting with Jordan" in page.content.decode()
    # The page names the client and is about their plan: a read of the record.
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, client=client_record).exists()
    response = browser.post(
        reverse("clients:plan_new", args=[client_record.pk, meeting.pk]),
        {"recurrence": "weekly", "starts_on": "2026-11-24", "until": "2026-12-31"},
    )
    assert response.status_code == 302
    plan = MeetingPlan.objects.get()
    assert (plan.client, plan.meeting, plan.until) == (
        client_record,
        meeting,
        datetime.date(2026, 12, 31),
    )
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="clients.meetingplan")


def test_a_bad_plan_is_a_form_error(as_user, therapist, client_record, meeting):
    response = as_user(therapist).post(
        reverse("clients:plan_new", args=[client_record.pk, meeting.pk]),
        {"recurrence": "weekly", "starts_on": "2026-12-10", "until": "2026-12-01"},
    )
    assert response.status_code == 400
    assert "The end date must be on or after the start date." in response.content.decode()
    assert not MeetingPlan.objects.exists()


def test_the_service_refuses_an_end_before_the_start_by_the_field(
    therapist, client_record, meeting
):
    with pytest.raises(ValidationError) as refused:
        meeting_plan_create(
            actor=therapist,
            client=client_record,
            meeting=meeting,
            recurrence="weekly",
            starts_on=datetime.date(2026, 12, 10),
            until=datetime.date(2026, 12, 1),
        )
    assert refused.value.message_dict == {
        "until": ["The end date must be on or after the start date."]
    }
    assert not MeetingPlan.objects.exists()


def test_planned_with_a_name_ending_in_an_initial_has_one_period(
    as_user, therapist, client_record, meeting
):
    client_record.preferred_name = "Theo B."
    client_record.save()
    browser = as_user(therapist)
    response = browser.post(
        reverse("clients:plan_new", args=[client_record.pk, meeting.pk]),
        {"recurrence": "weekly", "starts_on": "2026-11-24"},
        follow=True,
    )
    body = response.content.decode()
    assert "Tuesday Night Open is planned with Theo B." in body
    assert "Theo B.." not in body


@pytest.mark.parametrize("who", ["colleague", "outsider", "manager"])
def test_only_the_therapist_plans(request, as_user, who, client_record, meeting):
    response = as_user(request.getfixturevalue(who)).post(
        reverse("clients:plan_new", args=[client_record.pk, meeting.pk]),
        {"recurrence": "once", "starts_on": "2026-12-01"},
    )
    assert response.status_code in (403, 404)
    assert not MeetingPlan.objects.exists()


def test_no_plans_with_a_meeting_no_longer_listed(therapist, client_record, meeting):
    meeting.is_active = False
    meeting.save()
    with pytest.raises(ValidationError):
        meeting_plan_create(
            actor=therapist,
            client=client_record,
            meeting=meeting,
            recurrence="once",
            starts_on=datetime.date(2026, 12, 1),
        )


def test_client_page_lists_occurrences_to_record(as_user, therapist, client_record, meeting):
    MeetingPlanFactory(client=client_record, meeting=meeting, starts_on=datetime.date(2026, 11, 1))
    body = as_user(therapist).get(reverse("clients:detail", args=[client_record.pk]))
    occurrences = body.context["occurrences"]
    assert LAST_TUESDAY in [o.start for o in occurrences]
    assert any(not o.is_past for o in occurrences)
    assert "Not recorded yet" in body.content.decode()


def test_record_attendance_then_offer_the_ladder_step(as_user, therapist, client_record, meeting):
    plan = MeetingPlanFactory(
        client=client_record, meeting=meeting, starts_on=datetime.date(2026, 11, 1)
    )
    LadderMoveFactory(client=client_record, step=LadderStep.LISTENED_ONLINE)
    browser = as_user(therapist)
    response = browser.post(
        reverse("clients:attendance", args=[client_record.pk]),
        {
            "plan": plan.pk,
            "occurrence": LAST_TUESDAY.isoformat(),
            "status": "attended",
            "note": "Stayed to the end",
        },
    )
    assert response.status_code == 302
    assert "offer_step=3" in response.url
    row = Attendance.objects.get()
    assert (row.status, row.reported_by, row.reported_by_user) == (
        "attended",
        "therapist",
        therapist,
    )
    page = browser.get(response.url).content.decode()
    assert "Move Jordan to step 3" in page


def test_recording_twice_updates_the_same_row(therapist, client_record, meeting):
    plan = MeetingPlanFactory(
        client=client_record, meeting=meeting, starts_on=datetime.date(2026, 11, 1)
    )
    attendance_record(
        actor=therapist, plan=plan, occurrence_start=LAST_TUESDAY, status="missed", reason="anxious"
    )
    row, offer = attendance_record(
        actor=therapist, plan=plan, occurrence_start=LAST_TUESDAY, status="attended"
    )
    assert Attendance.objects.count() == 1
    assert (row.status, row.reason) == ("attended", "")
    assert offer == LadderStep.ATTENDED_ONLINE


def test_no_offer_when_the_client_is_already_higher(therapist, client_record, meeting):
    plan = MeetingPlanFactory(
        client=client_record, meeting=meeting, starts_on=datetime.date(2026, 11, 1)
    )
    LadderMoveFactory(client=client_record, step=LadderStep.SHARED_IN_MEETING)
    _row, offer = attendance_record(
        actor=therapist, plan=plan, occurrence_start=LAST_TUESDAY, status="attended"
    )
    assert offer is None


@pytest.mark.parametrize(
    ("occurrence", "status"),
    [
        (LAST_TUESDAY + datetime.timedelta(hours=1), "attended"),  # not an occurrence
        (LAST_TUESDAY + datetime.timedelta(days=7), "attended"),  # has not happened yet
        (LAST_TUESDAY, "planned"),
        (LAST_TUESDAY - datetime.timedelta(days=28), "attended"),  # before the plan started
    ],
)
def test_attendance_is_refused_for_the_wrong_occurrence_or_status(
    therapist, client_record, meeting, occurrence, status
):
    plan = MeetingPlanFactory(
        client=client_record, meeting=meeting, starts_on=datetime.date(2026, 11, 10)
    )
    with pytest.raises(ValidationError):
        attendance_record(actor=therapist, plan=plan, occurrence_start=occurrence, status=status)
    assert not Attendance.objects.exists()


def test_a_tampered_attendance_post_records_nothing(as_user, therapist, client_record, meeting):
    other_plan = MeetingPlanFactory(meeting=meeting, starts_on=datetime.date(2026, 11, 1))
    browser = as_user(therapist)
    url = reverse("clients:attendance", args=[client_record.pk])
    assert (
        browser.post(
            url,
            {"plan": other_plan.pk, "occurrence": LAST_TUESDAY.isoformat(), "status": "attended"},
        ).status_code
        == 404
    )
    response = browser.post(url, {"plan": "x", "occurrence": "yesterday"})
    assert response.status_code == 302
    assert not Attendance.objects.exists()


def test_ending_a_plan(as_user, therapist, client_record, meeting):
    plan = MeetingPlanFactory(client=client_record, meeting=meeting)
    response = as_user(therapist).post(
        reverse("clients:plan_end", args=[client_record.pk, plan.pk])
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.cancelled_at is not None


def test_client_meetings_start_from_the_clients_preferences(as_user, therapist, client_record):
    MeetingFactory(name="Online One", attendance_option="online")
    MeetingFactory(name="In Person One", attendance_option="in_person")
    client_record.attendance_preference = "online"
    client_record.save()
    response = as_user(therapist).get(reverse("clients:meetings", args=[client_record.pk]))
    assert [m.name for m in response.context["page"]] == ["Online One"]
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, client=client_record).exists()


@pytest.mark.parametrize("who", ["colleague", "outsider"])
def test_client_meeting_pages_are_scoped(request, as_user, who, client_record, meeting):
    browser = as_user(request.getfixturevalue(who))
    assert browser.get(reverse("clients:meetings", args=[client_record.pk])).status_code == 404
    url = reverse("clients:meeting", args=[client_record.pk, meeting.pk])
    assert browser.get(url).status_code == 404
