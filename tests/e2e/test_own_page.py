"""A client on their own page, on a phone: from an email's link to an answer, new settings, a
pause, and stopping every email."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import Attendance, AttendanceStatus, ClientChangeKind, ClientPageChange
from clients.tokens import Purpose, make_token
from tests.e2e.test_accessibility import assert_accessible
from tests.factories import ClientFactory, MeetingPlanFactory

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package"
)
expect = sync_api.expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MEETING = "Harbor Light Group"


@pytest.fixture
def riley(therapist):
    client = ClientFactory(
        primary_therapist=therapist,
        preferred_name="Riley",
        time_zone="America/New_York",
        email_consent_at=timezone.now() - datetime.timedelta(days=30),
        email_consent_recorded_by=therapist,
        email_consent_text="I agree to emails.",
    )
    # A meeting every day at this hour: one ran yesterday, the next is tomorrow.
    now = timezone.localtime(timezone.now(), datetime.UTC)
    start = (now - datetime.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    yesterday = start - datetime.timedelta(days=1)
    MeetingPlanFactory(
        client=client,
        starts_on=(yesterday - datetime.timedelta(days=1)).date(),
        created_at=yesterday - datetime.timedelta(days=2),
        why="It is small, and you said mornings suit you.",
        meeting__name=MEETING,
        meeting__day=(yesterday.isoweekday() % 7),
        meeting__start_time=start.time(),
        meeting__end_time=(start + datetime.timedelta(minutes=59)).time(),
        meeting__time_zone="UTC",
        meeting__attendance_option="online",
        meeting__conference_url="https://meet.example.org/j/7",
    )
    return client


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [320, 390])
def test_a_client_answers_changes_pauses_and_stops_on_a_phone(page, riley, width):
    page.set_viewport_size({"width": width, "height": 800})
    link = reverse("responses:page", args=[make_token(Purpose.PAGE, riley.pk)])
    response = page.goto(link)
    assert page.url.endswith("/me/")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in response.headers["cache-control"]
    assert page.title() == "Your page"
    expect(page.get_by_role("heading", name="Hi Riley")).to_be_visible()
    # Weekly: two meetings in the next two weeks.
    expect(page.get_by_text("Why this one: It is small")).to_have_count(2)
    expect(page.get_by_role("link", name="Join online").first).to_have_attribute(
        "href", "https://meet.example.org/j/7"
    )
    assert no_sideways_scroll(page)
    assert_accessible(page)

    # Yesterday's meeting waits for an answer.
    past = page.get_by_role("region", name="Did you go?")
    past.get_by_label("If you could not make it").select_option(label="Felt anxious")
    past.get_by_role("button", name="I couldn't make it").click()
    expect(page.get_by_role("status")).to_have_text("Thank you. We saved your answer.")
    answer = Attendance.objects.get()
    assert (answer.status, answer.reason) == (AttendanceStatus.MISSED, "anxious")

    emails = page.get_by_role("region", name="Your emails")
    emails.get_by_label("When should we remind you?").select_option(label="1 day before")
    emails.get_by_label("After a meeting, ask me how it went").uncheck()
    emails.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text(
        "Saved. Your emails will follow these settings."
    )
    riley.refresh_from_db()
    assert riley.reminder_lead_minutes == 24 * 60 and not riley.checkin_enabled

    emails = page.get_by_role("region", name="Your emails")
    emails.get_by_label("Pause reminders for").select_option(label="2 weeks")
    emails.get_by_role("button", name="Pause reminders").click()
    expect(page.get_by_text("Reminders are on pause until")).to_be_visible()
    assert no_sideways_scroll(page)
    assert_accessible(page)

    page.get_by_role("button", name="Stop all emails").click()
    expect(page.get_by_role("heading", name="Done. We will not email you again.")).to_be_visible()
    riley.refresh_from_db()
    assert not riley.has_email_consent
    kinds = set(ClientPageChange.objects.values_list("kind", flat=True))
    assert kinds == {
        ClientChangeKind.PREFERENCES,
        ClientChangeKind.PAUSED,
        ClientChangeKind.STOPPED,
    }

    # The page and the old link are closed now.
    page.goto("/me/")
    expect(page.get_by_role("heading", name="This page has closed")).to_be_visible()
    page.goto(link)
    expect(page.get_by_role("heading", name="This link does not work now")).to_be_visible()
