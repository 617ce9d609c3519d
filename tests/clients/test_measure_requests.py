"""Questionnaires by email: the therapist sends one (or sets a schedule), the outbox sends a
discreet email, and the client completes it once through the signed link."""

import datetime
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from clients.models import (
    MeasureRequest,
    MeasureSchedule,
    MeasureSource,
    OutcomeMeasure,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from clients.outcomes import INSTRUMENTS, score
from clients.selectors.dashboard import reminders_summary
from clients.services.consent import email_consent_withdraw
from clients.services.measure_requests import (
    RequestClosed,
    measure_request_complete,
    measure_request_send,
    measure_requests_plan,
    measure_schedule_set,
    measure_schedule_stop,
)
from clients.services.outcomes import outcome_measure_store
from clients.services.records import client_restrict
from clients.services.reminders import reminders_cancel, reminders_dispatch
from clients.tokens import Purpose, make_token
from recovery.models import AuditAction, AuditEvent
from tests.clients.conftest import CONSENTED_AT
from tests.factories import ClientFactory

# Wednesday 11 March 2026, 11 AM in New York: outside the default quiet hours (21:00-08:00).
NOW = datetime.datetime(2026, 3, 11, 15, 0, tzinfo=datetime.UTC)
# 11 PM in New York the same day: inside them.
LATE_EVENING = datetime.datetime(2026, 3, 12, 3, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
# Words an inbox must never show for a questionnaire.
TELLING = re.compile(
    r"BAM|BARC|PHQ|GAD|addiction|depress|anxiety|alcohol|drug|recovery|monitor|flag",
    re.IGNORECASE,
)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def send(client, instrument="barc10"):
    return measure_request_send(
        actor=client.primary_therapist, client=client, instrument=instrument
    )


def link(measure_request) -> str:
    return reverse(
        "responses:measure", args=[make_token(Purpose.MEASURE, measure_request.reminder.pk)]
    )


def barc10(answer: int = 4) -> dict:
    return {f"item_{n}": str(answer) for n in range(1, 11)}


def bam_answers() -> dict:
    answers = {}
    for item in INSTRUMENTS["bam"].items:
        if item.kind == "days":
            answers[f"item_{item.key}"] = "3"
        elif item.kind == "yes_no":
            answers[f"item_{item.key}"] = "yes"
        else:
            answers[f"item_{item.key}"] = "1"
    return answers


# --- Sending by hand ------------------------------------------------------------------------


def test_sending_makes_one_request_and_one_measure_email_row(consenting_client):
    measure_request = send(consenting_client)
    assert MeasureRequest.objects.get() == measure_request
    reminder = Reminder.objects.get()
    assert reminder.kind == ReminderKind.MEASURE
    assert reminder.measure_request == measure_request
    assert reminder.plan is None and reminder.due_at == NOW
    assert measure_request.expires_at == NOW + 14 * DAY
    assert measure_request.requested_by == consenting_client.primary_therapist
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, actor__isnull=False).count() == 1


def test_a_second_open_request_for_the_same_instrument_is_refused(consenting_client):
    send(consenting_client)
    with pytest.raises(ValidationError, match="already sent"):
        send(consenting_client)
    send(consenting_client, "phq9")  # another instrument is fine
    assert MeasureRequest.objects.count() == 2


def test_sending_needs_consent(therapist):
    client = ClientFactory(primary_therapist=therapist)
    with pytest.raises(ValidationError, match="consent"):
        send(client)
    assert not MeasureRequest.objects.exists() and not Reminder.objects.exists()


def test_a_colleague_cannot_send(consenting_client, colleague):
    with pytest.raises(PermissionDenied):
        measure_request_send(actor=colleague, client=consenting_client, instrument="bam")
    assert not MeasureRequest.objects.exists()


def test_a_restricted_record_gets_nothing(consenting_client, practice_admin):
    client_restrict(actor=practice_admin, client=consenting_client, requested_on=NOW.date())
    consenting_client.refresh_from_db()
    with pytest.raises(PermissionDenied):
        send(consenting_client)
    assert not MeasureRequest.objects.exists()


def test_the_readiness_ruler_is_not_sent_to_clients(consenting_client):
    with pytest.raises(ValidationError):
        send(consenting_client, "readiness_ruler")


# --- The therapist's page -------------------------------------------------------------------


def page_url(client) -> str:
    return reverse("clients:measure_send", args=[client.pk])


def test_the_therapist_sends_from_the_page(as_user, consenting_client):
    browser = as_user(consenting_client.primary_therapist)
    assert browser.get(page_url(consenting_client)).status_code == 200
    response = browser.post(page_url(consenting_client), {"instrument": "bam"})
    assert response.status_code == 302
    assert MeasureRequest.objects.get().instrument == "bam"
    page = browser.get(page_url(consenting_client)).content.decode()
    assert "Brief Addiction Monitor" in page and "Email queued" in page


@pytest.mark.parametrize("who", ["colleague", "outsider", "manager"])
def test_anyone_but_the_therapist_gets_404(as_user, consenting_client, who, request):
    browser = as_user(request.getfixturevalue(who))
    assert browser.get(page_url(consenting_client)).status_code == 404
    assert browser.post(page_url(consenting_client), {"instrument": "bam"}).status_code == 404
    schedule_url = reverse("clients:measure_schedule", args=[consenting_client.pk])
    assert browser.post(schedule_url, {"instrument": "bam", "every_days": 30}).status_code == 404
    assert not MeasureRequest.objects.exists() and not MeasureSchedule.objects.exists()


def test_the_page_says_why_nothing_can_be_sent(as_user, client_record):
    browser = as_user(client_record.primary_therapist)
    page = browser.get(page_url(client_record)).content.decode()
    assert "consent" in page
    response = browser.post(page_url(client_record), {"instrument": "bam"})
    assert response.status_code == 400
    assert not MeasureRequest.objects.exists()


# --- The email ------------------------------------------------------------------------------


def test_dispatch_sends_one_discreet_email_with_the_link(consenting_client, mailoutbox, settings):
    consenting_client.practice.email_sender_name = "Harbor Counseling"
    consenting_client.practice.save()
    measure_request = send(consenting_client, "phq9")
    outcome = reminders_dispatch()
    assert outcome.sent == 1
    assert reminders_dispatch().sent == 0  # sent once
    [message] = mailoutbox
    assert message.to == ["riley@example.net"]
    assert message.subject == "A few questions from Harbor Counseling"
    html = message.alternatives[0][0]
    for text in (message.subject, message.body, html):
        assert not TELLING.search(text), text
    assert settings.SITE_URL + link(measure_request) in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/r/u/" in message.extra_headers["List-Unsubscribe"]
    assert Reminder.objects.get().status == ReminderStatus.SENT


def test_a_telling_sender_name_is_replaced(consenting_client, mailoutbox):
    consenting_client.practice.email_sender_name = "Harbor Addiction Recovery"
    consenting_client.practice.save()
    send(consenting_client)
    reminders_dispatch()
    assert mailoutbox[0].subject == "A few questions from Your care team"


def test_quiet_hours_defer_the_email(consenting_client, mailoutbox, _frozen):
    _frozen.move_to(LATE_EVENING)
    send(consenting_client)
    assert reminders_dispatch().sent == 0
    reminder = Reminder.objects.get()
    assert reminder.status == ReminderStatus.QUEUED
    # 8 AM in New York the next morning.
    assert reminder.due_at == datetime.datetime(2026, 3, 12, 12, 0, tzinfo=datetime.UTC)
    assert reminder.attempts == 0
    assert not mailoutbox


def test_withdrawn_consent_cancels_the_queued_email(consenting_client, mailoutbox):
    measure_request = send(consenting_client)
    email_consent_withdraw(client=consenting_client, actor=consenting_client.primary_therapist)
    assert Reminder.objects.get().status == ReminderStatus.CANCELLED
    measure_request.refresh_from_db()
    assert measure_request.cancelled_at == NOW
    assert reminders_dispatch().sent == 0 and not mailoutbox


def test_an_email_for_a_completed_request_is_not_sent(consenting_client, mailoutbox):
    measure_request = send(consenting_client)
    MeasureRequest.objects.filter(pk=measure_request.pk).update(completed_at=NOW)
    assert reminders_dispatch().cancelled == 1 and not mailoutbox


# --- The client's link ----------------------------------------------------------------------


@pytest.fixture
def sent(consenting_client):
    measure_request = send(consenting_client)
    reminders_dispatch()
    return measure_request


def test_opening_the_link_changes_nothing(client, sent):
    response = client.get(link(sent))
    assert response.status_code == 200
    page = response.content.decode()
    assert "A few questions" in page and 'name="item_10"' in page
    assert "Your care team" in page  # the sender name the email used
    sent.refresh_from_db()
    assert sent.completed_at is None and not OutcomeMeasure.objects.exists()
    assert not AuditEvent.objects.filter(actor__isnull=True).exists()
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_answering_records_a_measure_by_the_client(client, sent):
    response = client.post(link(sent), barc10(4))
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    measure = OutcomeMeasure.objects.get()
    assert measure.source == MeasureSource.CLIENT
    assert measure.client == sent.client and measure.request == sent
    expected = score("barc10", {str(n): 4 for n in range(1, 11)})
    assert measure.total == expected.total == 40
    assert measure.administered_on == datetime.date(2026, 3, 11)
    sent.refresh_from_db()
    assert sent.completed_at == NOW
    event = AuditEvent.objects.get(action=AuditAction.CREATE, actor__isnull=True)
    assert event.client == sent.client


def test_a_second_post_is_refused_and_stores_nothing(client, sent):
    client.post(link(sent), barc10(4))
    again = client.post(link(sent), barc10(1))
    assert again.status_code == 410
    assert "already answered" in again.content.decode()
    assert OutcomeMeasure.objects.get().total == 40
    assert client.get(link(sent)).status_code == 410


def test_the_service_claims_the_request_once(sent):
    responses = {str(n): 2 for n in range(1, 11)}
    measure_request_complete(measure_request_id=sent.pk, responses=responses)
    with pytest.raises(RequestClosed):
        measure_request_complete(measure_request_id=sent.pk, responses=responses)
    assert OutcomeMeasure.objects.count() == 1


def test_a_failed_store_leaves_the_request_open(sent):
    with pytest.raises(ValidationError):
        measure_request_complete(measure_request_id=sent.pk, responses={"1": 9})
    sent.refresh_from_db()
    assert sent.completed_at is None and not OutcomeMeasure.objects.exists()


def test_a_tampered_token_is_refused(client, sent):
    token = make_token(Purpose.MEASURE, sent.reminder.pk)
    forged = f"{sent.reminder.pk + 1}{token[token.index('.') :]}"
    for bad in (forged, token[:-2] + "xx", "42", make_token(Purpose.ANSWER, sent.reminder.pk)):
        response = client.post(reverse("responses:measure", args=[bad]), barc10())
        assert response.status_code == 400, bad
    assert not OutcomeMeasure.objects.exists()


def test_an_expired_request_is_refused(client, sent, _frozen):
    _frozen.move_to(NOW + 14 * DAY + datetime.timedelta(seconds=1))
    response = client.post(link(sent), barc10())
    assert response.status_code in (400, 410)
    assert not OutcomeMeasure.objects.exists()
    # Past the request's own expiry but inside the signature's age: still closed.
    _frozen.move_to(NOW + 14 * DAY - datetime.timedelta(seconds=1))
    MeasureRequest.objects.filter(pk=sent.pk).update(expires_at=NOW)
    assert client.post(link(sent), barc10()).status_code == 410
    assert not OutcomeMeasure.objects.exists()


def test_a_link_records_only_for_its_own_client(client, sent, therapist):
    other = ClientFactory(
        primary_therapist=therapist,
        email_consent_at=CONSENTED_AT,
        email_consent_recorded_by=therapist,
        email_consent_text="Yes.",
    )
    # Whatever the form says, the answers go where the token's reminder points.
    data = {**barc10(), "client": other.pk, "measure_request": "999", "instrument": "phq9"}
    assert client.post(link(sent), data).status_code == 200
    assert OutcomeMeasure.objects.get().client == sent.client
    assert not OutcomeMeasure.objects.filter(client=other).exists()
    # A meeting reminder's row named by a measure token is no questionnaire.
    other_request = send(other)
    assert client.get(link(other_request)).status_code == 200
    assert other_request.reminder.pk != sent.reminder.pk


@pytest.mark.parametrize(
    ("instrument", "change", "item_text"),
    [
        ("barc10", {"item_3": None}, "3."),
        ("barc10", {"item_2": "7"}, "2."),
        ("barc10", {"item_4": "many"}, "4."),
        ("bam", {"item_2": "31"}, "2."),
        ("bam", {"item_5": "a string"}, "5."),
    ],
)
def test_bad_answers_reshow_the_form_naming_the_item(
    client, consenting_client, instrument, change, item_text
):
    measure_request = send(consenting_client, instrument)
    data = barc10() if instrument == "barc10" else bam_answers()
    for name, value in change.items():
        if value is None:
            data.pop(name)
        else:
            data[name] = value
    response = client.post(link(measure_request), data)
    assert response.status_code == 400
    page = response.content.decode()
    problems = page[page.index('id="problems"') : page.index("</ul>", page.index('id="problems"'))]
    field = next(iter(change))
    assert f'href="#div_id_{field}"' in problems and item_text in problems
    assert not OutcomeMeasure.objects.exists()
    measure_request.refresh_from_db()
    assert measure_request.completed_at is None


def test_a_bam_from_the_link_is_scored_like_the_therapists(client, consenting_client):
    measure_request = send(consenting_client, "bam")
    assert client.post(link(measure_request), bam_answers()).status_code == 200
    measure = OutcomeMeasure.objects.get()
    responses = {key.removeprefix("item_"): value for key, value in bam_answers().items()}
    expected = score("bam", {k: (v if v == "yes" else int(v)) for k, v in responses.items()})
    assert measure.subscales == expected.subscales


# --- Schedules -------------------------------------------------------------------------------


def schedule(client, instrument="bam", every_days=30):
    return measure_schedule_set(
        actor=client.primary_therapist, client=client, instrument=instrument, every_days=every_days
    )


def test_a_new_schedule_sends_on_the_next_run_and_only_once(consenting_client):
    running = schedule(consenting_client)
    assert measure_requests_plan(now=NOW) == 1
    assert measure_requests_plan(now=NOW) == 0
    measure_request = MeasureRequest.objects.get()
    assert measure_request.schedule == running and measure_request.requested_by is None
    assert measure_request.reminder.kind == ReminderKind.MEASURE


def test_the_next_one_is_due_after_the_interval_not_before(consenting_client, _frozen):
    schedule(consenting_client, every_days=30)
    measure_requests_plan(now=NOW)
    MeasureRequest.objects.update(completed_at=NOW)
    assert measure_requests_plan(now=NOW + 29 * DAY) == 0
    assert measure_requests_plan(now=NOW + 30 * DAY) == 1
    assert measure_requests_plan(now=NOW + 30 * DAY) == 0
    assert MeasureRequest.objects.count() == 2


def test_a_measure_given_in_session_counts_as_the_last_one(consenting_client):
    schedule(consenting_client, "barc10", every_days=30)
    outcome_measure_store(
        client=consenting_client,
        instrument="barc10",
        responses={str(n): 3 for n in range(1, 11)},
        administered_on=(NOW - 10 * DAY).date(),
        source=MeasureSource.THERAPIST,
        entered_by=consenting_client.primary_therapist,
    )
    assert measure_requests_plan(now=NOW) == 0
    assert measure_requests_plan(now=NOW + 21 * DAY) == 1


def test_an_unanswered_request_is_not_sent_again(consenting_client):
    schedule(consenting_client, every_days=7)
    measure_requests_plan(now=NOW)
    # Still open after 7 days (the link lasts 14): no second one beside it.
    assert measure_requests_plan(now=NOW + 8 * DAY) == 0


def test_a_stopped_schedule_sends_nothing(consenting_client):
    schedule(consenting_client)
    measure_schedule_stop(
        actor=consenting_client.primary_therapist, client=consenting_client, instrument="bam"
    )
    assert measure_requests_plan(now=NOW) == 0
    assert MeasureSchedule.objects.get().stopped_at == NOW


def test_no_consent_no_scheduled_request(consenting_client):
    schedule(consenting_client)
    email_consent_withdraw(client=consenting_client, by_client=True)
    assert measure_requests_plan(now=NOW) == 0


def test_setting_a_schedule_again_changes_its_interval(consenting_client):
    schedule(consenting_client, every_days=30)
    schedule(consenting_client, every_days=90)
    assert MeasureSchedule.objects.get().every_days == 90


@pytest.mark.parametrize("every_days", [6, 366])
def test_an_interval_out_of_range_is_refused(as_user, consenting_client, every_days):
    browser = as_user(consenting_client.primary_therapist)
    url = reverse("clients:measure_schedule", args=[consenting_client.pk])
    assert browser.post(url, {"instrument": "bam", "every_days": every_days}).status_code == 400
    assert not MeasureSchedule.objects.exists()


def test_the_page_sets_and_stops_a_schedule(as_user, consenting_client):
    browser = as_user(consenting_client.primary_therapist)
    set_url = reverse("clients:measure_schedule", args=[consenting_client.pk])
    stop_url = reverse("clients:measure_schedule_stop", args=[consenting_client.pk])
    assert browser.post(set_url, {"instrument": "barc10", "every_days": 90}).status_code == 302
    assert "every 90 days" in browser.get(page_url(consenting_client)).content.decode()
    assert browser.post(stop_url, {"instrument": "barc10"}).status_code == 302
    assert MeasureSchedule.objects.get().stopped_at is not None


# --- Where the questionnaire's email shows beside the meeting reminders --------------------


def test_the_reminders_page_lists_the_questionnaire_email_by_its_name(as_user, consenting_client):
    send(consenting_client, "phq9")
    browser = as_user(consenting_client.primary_therapist)

    page = browser.get(reverse("clients:reminders", args=[consenting_client.pk])).content.decode()

    rows = page[page.index('id="reminder-list"') :]
    assert "Questionnaire" in rows and "PHQ-9 (depression)" in rows


def test_the_client_page_offers_sending_to_the_therapist_only(as_user, consenting_client, manager):
    url = reverse("clients:measure_send", args=[consenting_client.pk])
    detail = reverse("clients:detail", args=[consenting_client.pk])

    assert url in as_user(consenting_client.primary_therapist).get(detail).content.decode()
    assert url not in as_user(manager).get(detail).content.decode()


def test_the_dashboard_counts_questionnaire_emails_with_the_reminders(consenting_client):
    send(consenting_client)
    reminders_dispatch()
    clients = type(consenting_client).objects.filter(practice=consenting_client.practice)

    assert reminders_summary(clients, now=NOW)["sent"] == 1
    assert reminders_summary(clients.exclude(pk=consenting_client.pk), now=NOW)["sent"] == 0


def test_discharge_cancels_an_email_not_yet_sent_and_its_request(consenting_client):
    measure_request = send(consenting_client)

    reminders_cancel(client=consenting_client)

    measure_request.refresh_from_db()
    assert measure_request.reminder.status == ReminderStatus.CANCELLED
    assert measure_request.cancelled_at == NOW
    # Closed, so it does not block sending the same questionnaire again.
    assert send(consenting_client).pk != measure_request.pk


# --- Races (PostgreSQL: real row locks) ------------------------------------------------------


def needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("races need PostgreSQL's row locks; SQLite serialises every writer")


def run_in_two_threads(work):
    """Run `work()` in two threads released together; each has its own connection."""
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
def test_two_planner_runs_at_once_make_one_request_per_due_schedule(consenting_client):
    needs_postgresql()
    schedule(consenting_client, "bam")
    schedule(consenting_client, "phq9")

    made = run_in_two_threads(lambda: measure_requests_plan(now=NOW))

    assert sum(made) == 2
    assert sorted(MeasureRequest.objects.values_list("instrument", flat=True)) == ["bam", "phq9"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sends_at_once_make_one_request(consenting_client):
    needs_postgresql()

    def try_send():
        try:
            return send(consenting_client).pk
        except ValidationError:
            return None

    results = run_in_two_threads(try_send)

    assert sorted(results, key=bool) == [None, MeasureRequest.objects.get().pk]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_submissions_at_once_store_one_measure(consenting_client):
    needs_postgresql()
    measure_request = send(consenting_client)
    answers = {str(n): 4 for n in range(1, 11)}

    def try_complete():
        try:
            return measure_request_complete(
                measure_request_id=measure_request.pk, responses=answers
            ).pk
        except RequestClosed:
            return None

    results = run_in_two_threads(try_complete)

    assert sorted(results, key=bool) == [None, OutcomeMeasure.objects.get().pk]
