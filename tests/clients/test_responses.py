"""The pages behind the links in reminder emails: GET shows, POST records, bad links refuse."""

import datetime
import re

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from clients.models import (
    Attendance,
    AttendanceStatus,
    Client,
    MissReason,
    Reminder,
    ReminderKind,
    ReminderStatus,
    ReportedBy,
)
from clients.selectors.answers import recent_client_reasons
from clients.selectors.client_page import client_timeline
from clients.services.client_replies import reminder_answer_record
from clients.tokens import Purpose, make_token
from recovery.models import AuditAction, AuditEvent
from tests.factories import AttendanceFactory, ClientFactory, MeetingPlanFactory

# Wednesday March 11 2026, 10 AM in New York: the morning after a Tuesday 7 PM meeting.
NOW = datetime.datetime(2026, 3, 11, 14, 0, tzinfo=datetime.UTC)
OCCURRENCE = datetime.datetime(2026, 3, 10, 23, 0, tzinfo=datetime.UTC)
NEXT_WEEK = OCCURRENCE + datetime.timedelta(days=7)
LINK_LIFETIME = datetime.timedelta(days=14)
MEETING_NAME = "Tuesday Night Hope Group"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def plan(make_plan):
    return make_plan(name=MEETING_NAME, attendance_option="online")


def make_reminder(plan, *, start=OCCURRENCE, kind=ReminderKind.CHECKIN) -> Reminder:
    return Reminder.objects.create(
        plan=plan, occurrence_start=start, kind=kind, due_at=start + datetime.timedelta(hours=2)
    )


@pytest.fixture
def reminder(plan):
    return make_reminder(plan)


def answer_url(reminder, **query) -> str:
    url = reverse("responses:answer", args=[make_token(Purpose.ANSWER, reminder.pk)])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def unsubscribe_url(reminder) -> str:
    return reverse("responses:unsubscribe", args=[make_token(Purpose.UNSUBSCRIBE, reminder.pk)])


def nothing_recorded() -> bool:
    return not Attendance.objects.exists() and not AuditEvent.objects.exists()


def text_of(response) -> str:
    return response.content.decode()


# --- GET never changes anything ---------------------------------------------------------------


@pytest.mark.parametrize("chosen", ["attended", "missed", ""])
def test_opening_an_answer_link_only_shows_the_choice(client, reminder, chosen):
    response = client.get(answer_url(reminder, answer=chosen))
    assert response.status_code == 200
    page = text_of(response)
    assert "I went" in page and "I couldn't make it" in page
    assert 'name="reason"' in page and "Felt anxious" in page
    # The answer clicked in the email comes first.
    went_first = page.index('value="attended"') < page.index('value="missed"')
    assert went_first == (chosen != "missed")
    assert nothing_recorded()


def test_opening_an_unsubscribe_link_only_asks(client, reminder, consenting_client):
    response = client.get(unsubscribe_url(reminder))
    assert response.status_code == 200
    assert "Stop these emails?" in text_of(response)
    consenting_client.refresh_from_db()
    assert consenting_client.has_email_consent
    assert not AuditEvent.objects.exists()


def test_a_head_request_from_a_link_scanner_changes_nothing(client, reminder, consenting_client):
    assert client.head(answer_url(reminder, answer="attended")).status_code == 200
    assert client.head(unsubscribe_url(reminder)).status_code == 200
    consenting_client.refresh_from_db()
    assert consenting_client.has_email_consent
    assert nothing_recorded()


@pytest.mark.parametrize("url", [answer_url, unsubscribe_url])
def test_the_pages_show_no_staff_navigation_and_stay_out_of_caches(client, reminder, url):
    response = client.get(url(reminder))
    page = text_of(response)
    for staff_only in ("Sign out", "My caseload", "Recovery Bridge", "Harbor Counseling"):
        assert staff_only not in page
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_a_discreet_page_names_no_meeting(client, reminder, consenting_client):
    assert MEETING_NAME not in text_of(client.get(answer_url(reminder)))
    consenting_client.discreet_mode = False
    consenting_client.save()
    assert MEETING_NAME in text_of(client.get(answer_url(reminder)))


# --- POST records -----------------------------------------------------------------------------


def test_i_went_records_attendance_from_the_client(client, reminder, plan):
    response = client.post(answer_url(reminder), {"status": "attended"})
    assert response.status_code == 200
    assert "Thank you for telling us" in text_of(response)
    row = Attendance.objects.get()
    assert (row.plan, row.occurrence_start, row.status, row.reason) == (
        plan,
        OCCURRENCE,
        AttendanceStatus.ATTENDED,
        "",
    )
    assert (row.reported_by, row.reported_by_user, row.reported_at) == (
        ReportedBy.CLIENT,
        None,
        NOW,
    )
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.client_id, event.object_type, event.object_id) == (
        AuditAction.UPDATE,
        None,
        plan.client_id,
        "clients.attendance",
        str(row.pk),
    )


def test_i_couldnt_make_it_records_the_reason(client, reminder):
    response = client.post(answer_url(reminder), {"status": "missed", "reason": "anxious"})
    assert response.status_code == 200
    assert "That is okay" in text_of(response)
    row = Attendance.objects.get()
    assert (row.status, row.reason, row.reported_by) == (
        AttendanceStatus.MISSED,
        MissReason.ANXIOUS,
        ReportedBy.CLIENT,
    )


def test_the_reason_is_optional(client, reminder):
    assert client.post(answer_url(reminder), {"status": "missed", "reason": ""}).status_code == 200
    assert Attendance.objects.get().reason == ""


def test_a_reason_is_dropped_when_the_client_went(reminder):
    row = reminder_answer_record(reminder=reminder, status="attended", reason="schedule")
    assert row.reason == ""


def test_repeating_the_post_changes_nothing(client, reminder, _frozen):
    client.post(answer_url(reminder), {"status": "missed", "reason": "transport"})
    _frozen.move_to(NOW + datetime.timedelta(minutes=5))
    response = client.post(answer_url(reminder), {"status": "missed", "reason": "transport"})
    assert response.status_code == 200
    row = Attendance.objects.get()
    assert (row.status, row.reason, row.reported_at) == ("missed", "transport", NOW)
    assert AuditEvent.objects.count() == 1


def test_the_client_may_change_their_own_answer(client, reminder, _frozen):
    client.post(answer_url(reminder), {"status": "missed", "reason": "schedule"})
    later = NOW + datetime.timedelta(hours=1)
    _frozen.move_to(later)
    client.post(answer_url(reminder), {"status": "attended"})
    row = Attendance.objects.get()
    assert (row.status, row.reason, row.reported_at) == ("attended", "", later)
    assert AuditEvent.objects.count() == 2


def test_a_therapists_record_is_never_overwritten(client, reminder, plan, therapist):
    AttendanceFactory(
        plan=plan,
        occurrence_start=OCCURRENCE,
        status=AttendanceStatus.ATTENDED,
        reported_by=ReportedBy.THERAPIST,
        reported_by_user=therapist,
        reported_at=NOW - datetime.timedelta(hours=1),
    )
    response = client.post(answer_url(reminder), {"status": "missed", "reason": "anxious"})
    assert response.status_code == 200
    assert "already noted" in text_of(response)
    row = Attendance.objects.get()
    assert (row.status, row.reason, row.reported_by, row.reported_by_user) == (
        "attended",
        "",
        ReportedBy.THERAPIST,
        therapist,
    )
    # Only the time of the client's answer is kept (the dashboard counts answers), once.
    assert row.client_answered_at == NOW
    assert AuditEvent.objects.count() == 1
    client.post(answer_url(reminder), {"status": "attended"})
    assert Attendance.objects.get().client_answered_at == NOW
    assert AuditEvent.objects.count() == 1
    assert "already noted" in text_of(client.get(answer_url(reminder)))


def test_a_planned_row_takes_the_clients_answer(client, reminder, plan):
    AttendanceFactory(plan=plan, occurrence_start=OCCURRENCE)
    client.post(answer_url(reminder), {"status": "attended"})
    assert Attendance.objects.get().status == AttendanceStatus.ATTENDED


def test_an_answer_is_recorded_even_after_emails_were_stopped(client, reminder):
    client.post(unsubscribe_url(reminder))
    response = client.post(answer_url(reminder), {"status": "attended"})
    assert response.status_code == 200
    assert Attendance.objects.get().status == AttendanceStatus.ATTENDED


@pytest.mark.parametrize(
    "data",
    [{"status": "skipped"}, {"status": "planned"}, {}, {"status": "missed", "reason": "bored"}],
)
def test_an_answer_we_do_not_offer_is_refused(client, reminder, data):
    response = client.post(answer_url(reminder), data)
    assert response.status_code == 400
    assert nothing_recorded()


def test_an_answer_before_the_meeting_is_refused(client, plan):
    future = make_reminder(plan, start=NEXT_WEEK, kind=ReminderKind.BEFORE)
    response = client.post(answer_url(future), {"status": "attended"})
    assert response.status_code == 400
    assert "Nothing was changed" in text_of(response)
    assert nothing_recorded()


def test_the_answer_form_works_with_csrf_checks_as_a_browser_sends_it(reminder):
    browser = Browser(enforce_csrf_checks=True)
    page = text_of(browser.get(answer_url(reminder, answer="missed")))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(
        answer_url(reminder),
        {"status": "missed", "reason": "not_ready", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 200
    assert Attendance.objects.get().reason == MissReason.NOT_READY


def test_an_answer_without_the_page_is_refused_by_csrf(reminder):
    # Only the unsubscribe link is exempt (RFC 8058); answers come from our own page.
    response = Browser(enforce_csrf_checks=True).post(answer_url(reminder), {"status": "attended"})
    assert response.status_code == 403
    assert nothing_recorded()


# --- The therapist sees the answer ------------------------------------------------------------


def test_an_answer_shows_on_the_client_timeline(client, reminder, consenting_client):
    client.post(answer_url(reminder), {"status": "missed", "reason": "anxious"})
    [entry] = [e for e in client_timeline(consenting_client) if e.kind == "attendance"]
    assert entry.item.get_reported_by_display() == "Client (email link)"
    assert entry.item.get_reason_display() == "Felt anxious"


def test_an_answers_reason_is_counted_beside_the_themes(client, reminder, consenting_client):
    client.post(answer_url(reminder), {"status": "missed", "reason": "anxious"})
    assert recent_client_reasons(consenting_client) == [("Felt anxious", 1)]


# --- Unsubscribe ------------------------------------------------------------------------------


def test_unsubscribing_stops_the_emails_and_says_so(client, reminder, plan, consenting_client):
    queued = make_reminder(plan, start=NEXT_WEEK, kind=ReminderKind.BEFORE)
    response = client.post(unsubscribe_url(reminder))
    assert response.status_code == 200
    assert "You won't get these emails any more" in text_of(response)
    consenting_client.refresh_from_db()
    assert consenting_client.email_consent_withdrawn_at == NOW
    assert consenting_client.email_consent_withdrawn_by_client
    assert Reminder.objects.get(pk=queued.pk).status == ReminderStatus.CANCELLED
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.client_id) == (
        AuditAction.UPDATE,
        None,
        consenting_client.pk,
    )


def test_rfc_8058_one_click_works_with_no_cookie_and_no_csrf_token(
    reminder, consenting_client, _frozen
):
    mail_provider = Browser(enforce_csrf_checks=True)
    url = unsubscribe_url(reminder)
    response = mail_provider.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200  # not a redirect: providers do not follow one
    assert not response.cookies
    consenting_client.refresh_from_db()
    assert consenting_client.email_consent_withdrawn_at == NOW

    _frozen.move_to(NOW + datetime.timedelta(minutes=1))
    again = mail_provider.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert again.status_code == 200
    consenting_client.refresh_from_db()
    assert consenting_client.email_consent_withdrawn_at == NOW
    assert AuditEvent.objects.count() == 1


def test_one_click_also_takes_a_multipart_body(reminder, consenting_client):
    response = Browser(enforce_csrf_checks=True).post(
        unsubscribe_url(reminder), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    consenting_client.refresh_from_db()
    assert not consenting_client.has_email_consent


def test_after_unsubscribing_the_link_says_it_is_done(client, reminder):
    client.post(unsubscribe_url(reminder))
    page = text_of(client.get(unsubscribe_url(reminder)))
    assert "already stopped" in page
    assert "<form" not in page


def test_unsubscribing_touches_only_that_reminders_client(client, reminder, therapist):
    other = ClientFactory(
        primary_therapist=therapist,
        email_consent_at=NOW - datetime.timedelta(days=30),
        email_consent_recorded_by=therapist,
    )
    client.post(unsubscribe_url(reminder))
    other.refresh_from_db()
    assert other.has_email_consent


# --- Bad links --------------------------------------------------------------------------------


def flipped(token: str) -> str:
    index = len(token) - 5  # inside the signature
    return token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]


def bad_tokens(reminder, other) -> dict[str, tuple[str, str]]:
    """(purpose the URL expects, token) for every way a link can be wrong."""
    answer = make_token(Purpose.ANSWER, reminder.pk)
    unsubscribe = make_token(Purpose.UNSUBSCRIBE, reminder.pk)
    return {
        "tampered answer": ("answer", flipped(answer)),
        "tampered unsubscribe": ("unsubscribe", flipped(unsubscribe)),
        "swapped answer": ("answer", f"{other.pk}.{answer.split('.', 1)[1]}"),
        "swapped unsubscribe": ("unsubscribe", f"{other.pk}.{unsubscribe.split('.', 1)[1]}"),
        "unsubscribe token on the answer page": ("answer", unsubscribe),
        "answer token on the unsubscribe page": ("unsubscribe", answer),
        "garbage": ("answer", "hello"),
    }


BAD = [
    "tampered answer",
    "tampered unsubscribe",
    "swapped answer",
    "swapped unsubscribe",
    "unsubscribe token on the answer page",
    "answer token on the unsubscribe page",
    "garbage",
]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("case", BAD)
def test_a_bad_link_gets_a_kind_400_and_changes_nothing(
    client, reminder, plan, consenting_client, case, method
):
    other = make_reminder(plan, start=NEXT_WEEK)
    name, token = bad_tokens(reminder, other)[case]
    url = reverse(f"responses:{name}", args=[token])
    response = getattr(client, method)(url, {"status": "attended"} if method == "post" else None)
    assert response.status_code == 400
    page = text_of(response)
    assert "This link has expired or is not valid" in page
    assert "Nothing was changed" in page
    assert "tell your therapist" in page
    consenting_client.refresh_from_db()
    assert consenting_client.has_email_consent
    assert nothing_recorded()


@pytest.mark.parametrize("name", ["answer", "unsubscribe"])
def test_a_link_expires_one_second_after_fourteen_days(
    client, reminder, consenting_client, name, _frozen
):
    purpose = Purpose.ANSWER if name == "answer" else Purpose.UNSUBSCRIBE
    url = reverse(f"responses:{name}", args=[make_token(purpose, reminder.pk)])
    _frozen.move_to(NOW + LINK_LIFETIME + datetime.timedelta(seconds=1))
    response = client.post(url, {"status": "attended"})
    assert response.status_code == 400
    assert "expired" in text_of(response)
    consenting_client.refresh_from_db()
    assert consenting_client.has_email_consent
    assert nothing_recorded()


def test_a_link_still_works_on_its_fourteenth_day(client, reminder, _frozen):
    url = answer_url(reminder)
    _frozen.move_to(NOW + LINK_LIFETIME)
    assert client.post(url, {"status": "attended"}).status_code == 200


def test_a_link_to_a_reminder_that_is_gone_is_a_bad_link(client, plan):
    token = make_token(Purpose.ANSWER, 999_999)
    response = client.post(reverse("responses:answer", args=[token]), {"status": "attended"})
    assert response.status_code == 400
    assert nothing_recorded()


# --- The neutral join link --------------------------------------------------------------------


def test_the_join_link_sends_the_client_on_to_the_meeting(client, make_plan):
    plan = make_plan(attendance_option="online", conference_url="https://smartrecovery.zoom.us/j/7")
    reminder = make_reminder(plan, kind=ReminderKind.BEFORE)
    response = client.get(reverse("responses:join", args=[make_token(Purpose.JOIN, reminder.pk)]))
    assert response.status_code == 302
    assert response["Location"] == "https://smartrecovery.zoom.us/j/7"
    assert response["Referrer-Policy"] == "no-referrer"
    assert nothing_recorded()


def test_a_bad_join_link_is_a_kind_400(client, reminder):
    token = make_token(Purpose.ANSWER, reminder.pk)
    assert client.get(reverse("responses:join", args=[token])).status_code == 400


def test_a_join_link_only_answers_get(client, reminder):
    token = make_token(Purpose.JOIN, reminder.pk)
    assert client.post(reverse("responses:join", args=[token])).status_code == 405


# --- Reasons beside the themes ----------------------------------------------------------------


def test_recent_reasons_are_counted_most_first(
    consenting_client, therapist, plan, django_assert_num_queries
):
    other_plan = MeetingPlanFactory(client=consenting_client, meeting=plan.meeting)

    def record(at_days_ago, status, reason, *, on=plan, by=ReportedBy.CLIENT):
        AttendanceFactory(
            plan=on,
            occurrence_start=OCCURRENCE - datetime.timedelta(days=at_days_ago),
            status=status,
            reason=reason,
            reported_by=by,
            reported_by_user=therapist if by == ReportedBy.THERAPIST else None,
            reported_at=NOW,
        )

    record(0, "missed", "anxious")
    record(7, "missed", "anxious", by=ReportedBy.THERAPIST)
    record(14, "missed", "schedule")
    record(21, "missed", "")  # no reason given
    record(28, "attended", "")
    record(0, "missed", "transport", on=other_plan)
    record(70, "missed", "not_ready")  # too long ago
    someone_else = MeetingPlanFactory(client=ClientFactory(primary_therapist=therapist))
    record(0, "missed", "other", on=someone_else)

    with django_assert_num_queries(1):
        reasons = recent_client_reasons(consenting_client)
    assert reasons == [("Felt anxious", 2), ("Schedule", 1), ("Transport", 1)]
    assert ("Not ready", 1) in recent_client_reasons(consenting_client, since_days=90)


def test_no_reasons_is_an_empty_list(consenting_client):
    assert recent_client_reasons(consenting_client) == []


def test_the_client_model_is_untouched_by_answers(client, reminder, consenting_client):
    before = Client.objects.filter(pk=consenting_client.pk).values().get()
    client.post(answer_url(reminder), {"status": "attended"})
    assert Client.objects.filter(pk=consenting_client.pk).values().get() == before
