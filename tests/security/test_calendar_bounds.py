"""Dates at the ends of the calendar are form errors, never a 500 now or on a later page.

The fuzzer found both: an attendance post for 9999-12-31 overflowed in the service, and a
plan starting 9999-12-31 was saved and then broke the client's page for good.
"""

import pytest

from clients.models import Attendance, MeetingPlan


@pytest.mark.parametrize("occurrence", ["9999-12-31 23:59:59", "0001-01-01 00:00:00"])
def test_attendance_at_the_ends_of_the_calendar_is_refused(world, as_user, occurrence):
    ours = world.ours
    before = Attendance.objects.count()
    response = as_user(ours.therapist).post(
        f"/clients/{ours.client.pk}/attendance/",
        {"plan": ours.plan.pk, "occurrence": occurrence, "status": "skipped"},
    )
    assert response.status_code == 302  # back to the client page, with the form's message
    assert Attendance.objects.count() == before


@pytest.mark.parametrize("starts_on", ["9999-12-31", "2099-01-01"])
def test_a_plan_cannot_start_years_ahead(world, as_user, starts_on):
    ours = world.ours
    browser = as_user(ours.therapist)
    response = browser.post(
        f"/clients/{ours.client.pk}/meetings/{world.meeting.pk}/plan/",
        {"recurrence": "weekly", "starts_on": starts_on},
    )
    assert response.status_code == 400
    assert "Plans start within the coming year." in response.content.decode()
    assert not MeetingPlan.objects.filter(starts_on=starts_on).exists()
    assert browser.get(f"/clients/{ours.client.pk}/").status_code == 200
