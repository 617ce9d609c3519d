"""The client's own page: a signed link opens a short visit; the page shows their meetings,
asks about the past week, and lets them change, pause or stop their emails."""

import datetime
import hashlib
import re

import pytest
import textstat
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client as Browser
from django.urls import reverse
from django.utils.html import strip_tags

from clients.emails import reminder_email
from clients.models import (
    Attendance,
    AttendanceStatus,
    Client,
    ClientChangeKind,
    ClientPageChange,
    ClientPageSession,
    MeasureRequest,
    Reminder,
    ReminderKind,
    ReminderStatus,
    ReportedBy,
)
from clients.services import client_update, email_consent_withdraw
from clients.services.reminders import reminders_dispatch, reminders_plan
from clients.tokens import Purpose, make_token
from recovery.models import AuditAction, AuditEvent
from tests.conftest import signed_in
from tests.factories import MeetingFactory, MeetingPlanFactory

# Wednesday March 11 2026, 10 AM in New York: the morning after a Tuesday 7 PM meeting.
NOW = datetime.datetime(2026, 3, 11, 14, 0, tzinfo=datetime.UTC)
LAST_NIGHT = datetime.datetime(2026, 3, 10, 23, 0, tzinfo=datetime.UTC)
NEXT_TUESDAY = LAST_NIGHT + datetime.timedelta(days=7)
MEETING = "Tuesday Night Hope Group"
WHY = "Small and calm, and people there stay after for coffee."
COOKIE = settings.CLIENT_PAGE_COOKIE_NAME


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def plan(make_plan):
    plan = make_plan(
        name=MEETING,
        attendance_option="online",
        conference_url="https://meet.example.org/j/42",
    )
    plan.why = WHY
    plan.save()
    return plan


@pytest.fixture
def riley(plan) -> Client:
    return plan.client


def page_link(client: Client) -> str:
    return reverse("responses:page", args=[make_token(Purpose.PAGE, client.pk)])


def visit(client: Client) -> Browser:
    """A browser that opened the client's link, as from an email."""
    browser = Browser()
    response = browser.get(page_link(client))
    assert response.status_code == 302, response.status_code
    assert response["Location"] == reverse("own_page:home")
    return browser


def page_text(browser: Browser) -> str:
    response = browser.get(reverse("own_page:home"))
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def visit_token(browser: Browser) -> str:
    return re.search(r'name="visit_token" value="([0-9a-f]+)"', page_text(browser)).group(1)


def post(browser: Browser, name: str, data: dict | None = None):
    return browser.post(
        reverse(f"own_page:{name}"), {"visit_token": visit_token(browser), **(data or {})}
    )


# --- Opening the page ------------------------------------------------------------------------


def test_the_link_opens_a_visit_in_its_own_cookie_stored_only_as_a_hash(riley):
    browser = Browser()
    response = browser.get(page_link(riley))
    cookie = response.cookies[COOKIE]
    assert cookie["path"] == "/me/"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert "sessionid" not in response.cookies  # no staff session
    stored = ClientPageSession.objects.get()
    assert stored.client == riley
    assert stored.key_hash == hashlib.sha256(cookie.value.encode()).hexdigest()
    assert cookie.value not in stored.key_hash


def test_a_link_checkers_head_request_starts_no_visit(riley):
    response = Browser().head(page_link(riley))
    assert response.status_code == 302
    assert COOKIE not in response.cookies
    assert not ClientPageSession.objects.exists()


def test_the_page_shows_the_next_two_weeks_with_why_and_how_to_join(riley):
    text = page_text(visit(riley))
    assert "Tuesday 17 March at 7:00 PM" in text
    assert "Tuesday 24 March at 7:00 PM" in text
    assert "Tuesday 31 March" not in text  # beyond two weeks
    assert MEETING in text
    assert WHY in text
    assert "https://meet.example.org/j/42" in text


def test_times_are_in_the_clients_own_zone(riley):
    riley.time_zone = "America/Los_Angeles"
    riley.save()
    assert "Tuesday 17 March at 4:00 PM" in page_text(visit(riley))


def test_the_page_is_private_uncached_and_its_title_names_nothing(riley):
    browser = visit(riley)
    response = browser.get(reverse("own_page:home"))
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]
    title = re.search(r"<title>(.*?)</title>", response.content.decode()).group(1)
    assert title == "Your page"
    for telling in ("AA", "Recovery", "Hope", riley.practice.name, "alcohol", "therapy"):
        assert telling.lower() not in title.lower()


def test_each_view_of_the_page_is_audited_with_the_client_as_actor(riley):
    page_text(visit(riley))
    event = AuditEvent.objects.get(client=riley, action=AuditAction.VIEW)
    assert event.by_client and event.actor is None


def test_a_past_meeting_waits_for_an_answer_and_later_ones_do_not(riley):
    text = page_text(visit(riley))
    assert "Tuesday 10 March at 7:00 PM" in text
    assert text.count('name="start"') == 1


def test_waiting_questions_link_to_their_questionnaire(riley, therapist):
    measure_request = MeasureRequest.objects.create(
        client=riley,
        instrument="phq9",
        requested_by=therapist,
        expires_at=NOW + datetime.timedelta(days=5),
    )
    email = Reminder.objects.create(
        measure_request=measure_request,
        kind=ReminderKind.MEASURE,
        due_at=NOW,
        status=ReminderStatus.SENT,
        sent_at=NOW,
    )
    text = page_text(visit(riley))
    assert "9 short questions, open until Monday 16 March" in text
    assert reverse("responses:measure", args=[make_token(Purpose.MEASURE, email.pk)]) in text
    assert "PHQ" not in text


# --- Links that do not open it ---------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "1.AAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "garbage",
        # A valid token for another purpose, on the same client's number.
        "ANSWER",
    ],
)
def test_a_bad_link_is_a_kind_400_and_opens_nothing(riley, token):
    if token == "ANSWER":
        token = make_token(Purpose.ANSWER, riley.pk)
    response = Browser().get(reverse("responses:page", args=[token]))
    assert response.status_code == 400
    assert "This link does not work now" in response.content.decode()
    assert not ClientPageSession.objects.exists()


def test_a_link_expires_after_the_setting(riley, frozen):
    link = page_link(riley)
    lifetime = datetime.timedelta(days=settings.CLIENT_PAGE_LINK_MAX_AGE_DAYS)
    frozen.move_to(NOW + lifetime + datetime.timedelta(seconds=1))
    assert Browser().get(link).status_code == 400
    frozen.move_to(NOW + lifetime)
    assert Browser().get(link).status_code == 302


def test_without_a_visit_the_page_says_it_has_closed(riley):
    response = Browser().get(reverse("own_page:home"))
    assert response.status_code == 403
    assert "This page has closed" in response.content.decode()
    assert MEETING not in response.content.decode()


def test_a_visit_ends_when_idle_and_at_its_maximum_age(riley, frozen):
    browser = visit(riley)
    idle = datetime.timedelta(minutes=settings.CLIENT_PAGE_IDLE_MINUTES)
    frozen.move_to(NOW + idle - datetime.timedelta(seconds=5))
    page_text(browser)  # still open, and now seen again
    frozen.move_to(NOW + 2 * idle - datetime.timedelta(seconds=10))
    page_text(browser)
    frozen.move_to(NOW + 3 * idle)
    assert browser.get(reverse("own_page:home")).status_code == 403
    assert ClientPageSession.objects.get().ended_at is not None

    busy = visit(riley)
    started = NOW + 3 * idle
    longest = datetime.timedelta(minutes=settings.CLIENT_PAGE_SESSION_MAX_MINUTES)
    moment = started
    while moment < started + longest - idle:
        moment += idle - datetime.timedelta(minutes=1)
        frozen.move_to(moment)
        page_text(busy)
    frozen.move_to(started + longest + datetime.timedelta(seconds=1))
    assert busy.get(reverse("own_page:home")).status_code == 403


def test_the_therapist_revokes_every_link_and_visit_at_once(riley, therapist):
    browser = visit(riley)
    old_link = page_link(riley)
    staff = signed_in(therapist)
    response = staff.post(reverse("clients:page_links_revoke", args=[riley.pk]))
    assert response.status_code == 302
    assert browser.get(reverse("own_page:home")).status_code == 403
    assert Browser().get(old_link).status_code == 400
    assert AuditEvent.objects.filter(client=riley, actor=therapist).exists()


def test_a_link_signed_after_the_revocation_opens_the_page(riley, therapist, frozen):
    signed_in(therapist).post(reverse("clients:page_links_revoke", args=[riley.pk]))
    frozen.move_to(NOW + datetime.timedelta(seconds=2))
    page_text(visit(riley))


def test_another_practices_staff_cannot_revoke(riley, outsider):
    response = signed_in(outsider).post(reverse("clients:page_links_revoke", args=[riley.pk]))
    assert response.status_code == 404
    assert Client.objects.get(pk=riley.pk).page_links_revoked_at is None


def test_withdrawn_consent_and_discharge_revoke_the_links(riley, therapist, frozen):
    browser = visit(riley)
    email_consent_withdraw(client=riley, actor=therapist)
    assert browser.get(reverse("own_page:home")).status_code == 403
    assert Browser().get(page_link(riley)).status_code == 400

    other = MeetingPlanFactory(client__primary_therapist=therapist).client
    browser = visit(other)
    client_update(actor=therapist, client=other, status="discharged", discharged_on=NOW.date())
    assert browser.get(reverse("own_page:home")).status_code == 403
    frozen.move_to(NOW + datetime.timedelta(minutes=1))
    assert Browser().get(page_link(other)).status_code == 400


def test_opening_another_clients_link_ends_the_first_visit(riley, therapist):
    browser = visit(riley)
    other = MeetingPlanFactory(
        client__primary_therapist=therapist, meeting__name="Other Group"
    ).client
    browser.get(page_link(other))
    text = page_text(browser)
    assert "Other Group" in text and MEETING not in text
    assert ClientPageSession.objects.filter(client=riley, ended_at__isnull=True).count() == 0


# --- Answering ------------------------------------------------------------------------------


def test_the_client_answers_about_last_nights_meeting(riley, plan):
    browser = visit(riley)
    response = post(
        browser,
        "answer",
        {"plan": plan.pk, "start": LAST_NIGHT.isoformat(), "status": "missed", "reason": "anxious"},
    )
    assert response.status_code == 302
    attendance = Attendance.objects.get(plan=plan, occurrence_start=LAST_NIGHT)
    assert (attendance.status, attendance.reason) == (AttendanceStatus.MISSED, "anxious")
    assert attendance.reported_by == ReportedBy.CLIENT
    assert AuditEvent.objects.get(object_type="clients.attendance").by_client
    text = page_text(browser)
    assert "Thank you. We saved your answer." not in text  # only after the redirect's ?done=
    assert "you could not make it" in text
    assert 'name="start"' not in text


def test_the_answer_to_another_clients_plan_is_refused(riley, therapist):
    other_plan = MeetingPlanFactory(
        client__primary_therapist=therapist, starts_on=datetime.date(2026, 1, 1)
    )
    browser = visit(riley)
    response = post(
        browser,
        "answer",
        {"plan": other_plan.pk, "start": LAST_NIGHT.isoformat(), "status": "attended"},
    )
    assert response.status_code == 400
    assert "We could not find that meeting" in response.content.decode()
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    "start",
    [
        NEXT_TUESDAY.isoformat(),  # not yet
        (LAST_NIGHT - datetime.timedelta(days=7)).isoformat(),  # older than a week
        (LAST_NIGHT + datetime.timedelta(minutes=5)).isoformat(),  # not an occurrence
        "2026-03-10T23:00:00",  # no zone
        "yesterday",
    ],
)
def test_an_answer_for_no_real_meeting_of_the_past_week_is_refused(riley, plan, start):
    response = post(visit(riley), "answer", {"plan": plan.pk, "start": start, "status": "attended"})
    assert response.status_code == 400
    assert not Attendance.objects.exists()


def test_a_post_without_the_visits_token_changes_nothing(riley, plan):
    browser = visit(riley)
    response = browser.post(
        reverse("own_page:answer"),
        {"plan": plan.pk, "start": LAST_NIGHT.isoformat(), "status": "attended"},
    )
    assert response.status_code == 403
    assert not Attendance.objects.exists()


# --- Reminder settings ------------------------------------------------------------------------


def test_the_client_changes_their_reminder_settings(riley, therapist):
    browser = visit(riley)
    response = post(
        browser,
        "settings",
        {
            "reminder_lead_minutes": 1440,
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:30",
            "discreet_mode": "on",
        },
    )
    assert response.status_code == 302
    assert "done=settings" in response["Location"]
    riley.refresh_from_db()
    assert riley.reminder_lead_minutes == 1440
    assert (riley.quiet_hours_start, riley.quiet_hours_end) == (
        datetime.time(22),
        datetime.time(7, 30),
    )
    assert riley.discreet_mode and not riley.checkin_enabled
    change = ClientPageChange.objects.get(client=riley)
    assert change.kind == ClientChangeKind.PREFERENCES
    assert "Reminder: reminder 1 day before (was reminder 2 hours before)" in change.detail
    assert "Check-ins: off (was on)" in change.detail
    event = AuditEvent.objects.get(object_type="clients.clientpagechange")
    assert event.by_client and event.actor is None
    # The therapist sees what the client changed, on the client's page.
    staff_page = signed_in(therapist).get(reverse("clients:detail", args=[riley.pk]))
    assert "Check-ins: off (was on)" in staff_page.content.decode()


def test_saving_the_same_settings_records_nothing(riley):
    browser = visit(riley)
    response = post(
        browser,
        "settings",
        {
            "reminder_lead_minutes": riley.reminder_lead_minutes,
            "quiet_hours_start": "21:00",
            "quiet_hours_end": "08:00",
            "discreet_mode": "on",
            "checkin_enabled": "on",
        },
    )
    assert "done=unchanged" in response["Location"]
    assert not ClientPageChange.objects.exists()


def test_a_bad_setting_is_a_form_error_and_saves_nothing(riley):
    response = post(
        visit(riley),
        "settings",
        {"reminder_lead_minutes": 7, "quiet_hours_start": "late", "quiet_hours_end": "07:00"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Select a valid choice" in body and "Enter a valid time" in body
    riley.refresh_from_db()
    assert riley.reminder_lead_minutes == 120
    assert not ClientPageChange.objects.exists()


# --- Pause and stop -------------------------------------------------------------------------


def test_a_pause_holds_meeting_reminders_but_not_questionnaires(riley, plan, therapist):
    queued = Reminder.objects.create(
        plan=plan,
        occurrence_start=NEXT_TUESDAY,
        kind=ReminderKind.BEFORE,
        due_at=NEXT_TUESDAY - datetime.timedelta(hours=2),
    )
    measure_request = MeasureRequest.objects.create(
        client=riley,
        instrument="phq9",
        requested_by=therapist,
        expires_at=NOW + datetime.timedelta(days=5),
    )
    questions = Reminder.objects.create(
        measure_request=measure_request, kind=ReminderKind.MEASURE, due_at=NOW
    )
    browser = visit(riley)
    response = post(browser, "pause", {"weeks": 2})
    assert "done=paused" in response["Location"]
    riley.refresh_from_db()
    assert riley.reminders_paused_until == NOW + datetime.timedelta(weeks=2)
    queued.refresh_from_db()
    questions.refresh_from_db()
    assert queued.status == ReminderStatus.CANCELLED
    assert questions.status == ReminderStatus.QUEUED
    assert "until Wed 25 Mar 2026" in ClientPageChange.objects.get().detail
    assert "Reminders are on pause until Wednesday 25 March" in page_text(browser)
    # The planner writes nothing that would be due during the pause.
    Reminder.objects.filter(pk=queued.pk).delete()
    reminders_plan(now=NOW, horizon=datetime.timedelta(days=8))
    assert not Reminder.objects.filter(plan=plan).exists()


def test_a_reminder_claimed_during_a_pause_is_cancelled_not_sent(riley, plan, smtp_sink):
    Client.objects.filter(pk=riley.pk).update(
        reminders_paused_until=NOW + datetime.timedelta(days=7)
    )
    Reminder.objects.create(
        plan=plan, occurrence_start=NEXT_TUESDAY, kind=ReminderKind.BEFORE, due_at=NOW
    )
    outcome = reminders_dispatch()
    assert outcome.cancelled == 1 and outcome.sent == 0
    assert Reminder.objects.get().last_error == "Paused by the client."


@pytest.mark.parametrize("weeks", ["0", "5", "x", ""])
def test_a_pause_outside_one_to_four_weeks_is_refused(riley, weeks):
    response = post(visit(riley), "pause", {"weeks": weeks})
    assert response.status_code == 400
    riley.refresh_from_db()
    assert riley.reminders_paused_until is None


def test_turning_reminders_back_on(riley, frozen):
    browser = visit(riley)
    post(browser, "pause", {"weeks": 1})
    response = post(browser, "resume")
    assert "done=resumed" in response["Location"]
    riley.refresh_from_db()
    assert riley.reminders_paused_until is None
    kinds = list(ClientPageChange.objects.order_by("at", "id").values_list("kind", flat=True))
    assert kinds == [ClientChangeKind.PAUSED, ClientChangeKind.RESUMED]


def test_stopping_every_email_withdraws_consent_and_closes_the_page(riley):
    browser = visit(riley)
    response = post(browser, "stop")
    assert response.status_code == 200
    assert "We will not email you again" in response.content.decode()
    assert response.cookies[COOKIE].value == ""
    riley.refresh_from_db()
    assert not riley.has_email_consent and riley.email_consent_withdrawn_by_client
    assert ClientPageChange.objects.get().kind == ClientChangeKind.STOPPED
    assert browser.get(reverse("own_page:home")).status_code == 403
    assert Browser().get(page_link(riley)).status_code == 400


def test_leaving_ends_the_visit(riley):
    browser = visit(riley)
    response = post(browser, "leave")
    assert "You have left your page" in response.content.decode()
    assert browser.get(reverse("own_page:home")).status_code == 403


# --- Emails carry the link ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", [ReminderKind.BEFORE, ReminderKind.CHECKIN])
def test_every_reminder_email_links_to_the_page(riley, plan, kind):
    start = NEXT_TUESDAY if kind == ReminderKind.BEFORE else LAST_NIGHT
    reminder = Reminder.objects.create(plan=plan, occurrence_start=start, kind=kind, due_at=NOW)
    message = reminder_email(reminder)
    html = message.alternatives[0][0]
    for body in (message.body, html):
        link = re.search(r"https?://[^\s\"<]+/r/p/[^\s\"<]+/", body).group(0)
        path = link.split("://", 1)[1].split("/", 1)[1]
        response = Browser().get("/" + path)
        assert response.status_code == 302 and response["Location"] == "/me/"
    mail.outbox.clear()


# --- Words ----------------------------------------------------------------------------------


def test_the_pages_text_reads_at_grade_six_or_lower(riley, plan, therapist):
    """Everything the page says in its own words (meeting names and times left out)."""
    browser = visit(riley)
    body = page_text(browser)
    for own in (MEETING, WHY, riley.preferred_name, "https://meet.example.org/j/42"):
        body = body.replace(own, "")
    body = re.sub(r"\w+day \d+ \w+ at \d+:\d+ [AP]M", "", body)
    text = " ".join(
        strip_tags(re.sub(r"<(script|style|select)[^>]*>.*?</\1>", "", body, flags=re.S)).split()
    )
    assert textstat.flesch_kincaid_grade(text) <= 6, text
    for template in ("closed", "link_closed", "stopped", "left"):
        from django.template.loader import render_to_string

        words = " ".join(strip_tags(render_to_string(f"clients/own/{template}.html")).split())
        assert textstat.flesch_kincaid_grade(words) <= 6, (template, words)


def test_what_the_therapist_writes_when_planning_is_what_the_client_reads(riley, therapist):
    meeting = MeetingFactory(name="Noon Group")
    response = signed_in(therapist).post(
        reverse("clients:plan_new", args=[riley.pk, meeting.pk]),
        {
            "recurrence": "weekly",
            "starts_on": "2026-03-11",
            "why": "  It is at noon, so no drive in the dark.  ",
        },
    )
    assert response.status_code == 302
    plan = riley.meeting_plans.get(meeting=meeting)
    assert plan.why == "It is at noon, so no drive in the dark."
    assert "It is at noon, so no drive in the dark." in page_text(visit(riley))


def test_a_why_longer_than_the_limit_is_a_form_error(riley, therapist):
    meeting = MeetingFactory()
    response = signed_in(therapist).post(
        reverse("clients:plan_new", args=[riley.pk, meeting.pk]),
        {"recurrence": "once", "starts_on": "2026-03-11", "why": "x" * 501},
    )
    assert response.status_code == 400
    assert "Ensure this value has at most 500 characters" in response.content.decode()
