"""Consent and reminder preferences in the therapist's pages."""

import datetime

import pytest
from django.urls import reverse

from clients.models import Reminder, ReminderStatus
from clients.services import DEFAULT_CONSENT_TEXT
from recovery.models import AuditAction, AuditEvent
from tests.factories import MeetingPlanFactory

NOW = datetime.datetime(2026, 11, 26, 17, 0, tzinfo=datetime.UTC)


def reminders_url(client) -> str:
    return reverse("clients:reminders", args=[client.pk])


@pytest.fixture
def consenting(client_record, therapist):
    client_record.email_consent_at = NOW
    client_record.email_consent_recorded_by = therapist
    client_record.email_consent_text = DEFAULT_CONSENT_TEXT
    client_record.save()
    return client_record


def queued_reminder(client, **fields) -> Reminder:
    plan = fields.pop("plan", None) or MeetingPlanFactory(client=client)
    return Reminder.objects.create(
        plan=plan, occurrence_start=NOW, kind="before", due_at=NOW, **fields
    )


def test_record_consent_with_the_wording_shown(as_user, therapist, client_record):
    browser = as_user(therapist)
    page = browser.get(reminders_url(client_record)).content.decode()
    assert "No consent on record" in page
    response = browser.post(
        reverse("clients:consent", args=[client_record.pk]),
        {"consent_text": DEFAULT_CONSENT_TEXT, "confirmed": "on"},
    )
    assert response.status_code == 302
    client_record.refresh_from_db()
    assert client_record.has_email_consent
    assert client_record.email_consent_recorded_by == therapist
    assert client_record.email_consent_text == DEFAULT_CONSENT_TEXT


def test_consent_needs_the_confirmation_box(as_user, therapist, client_record):
    response = as_user(therapist).post(
        reverse("clients:consent", args=[client_record.pk]), {"consent_text": "Yes"}
    )
    assert response.status_code == 400
    client_record.refresh_from_db()
    assert not client_record.has_email_consent


def test_consent_needs_an_email_address(as_user, therapist, client_record):
    client_record.contact_email = ""
    client_record.save()
    response = as_user(therapist).post(
        reverse("clients:consent", args=[client_record.pk]),
        {"consent_text": DEFAULT_CONSENT_TEXT, "confirmed": "on"},
    )
    assert response.status_code == 400
    assert "email address first" in response.content.decode()
    client_record.refresh_from_db()
    assert not client_record.has_email_consent


def test_without_an_email_address_the_page_links_to_editing_instead_of_the_consent_form(
    as_user, therapist, client_record
):
    client_record.contact_email = ""
    client_record.save()
    page = as_user(therapist).get(reverse("clients:reminders", args=[client_record.pk]))
    body = page.content.decode()
    assert "needs an email address first" in body
    assert f'href="{reverse("clients:edit", args=[client_record.pk])}"' in body
    assert f'action="{reverse("clients:consent", args=[client_record.pk])}"' not in body
    assert "Record consent" not in body


def test_with_an_email_address_the_consent_form_shows(as_user, therapist, client_record):
    page = as_user(therapist).get(reverse("clients:reminders", args=[client_record.pk]))
    body = page.content.decode()
    assert f'action="{reverse("clients:consent", args=[client_record.pk])}"' in body
    assert "needs an email address first" not in body


def test_withdrawal_cancels_everything_queued(as_user, therapist, consenting):
    queued = queued_reminder(consenting)
    sent = queued_reminder(consenting, status="sent", sent_at=NOW)
    response = as_user(therapist).post(reverse("clients:consent_withdraw", args=[consenting.pk]))
    assert response.status_code == 302
    consenting.refresh_from_db()
    assert not consenting.has_email_consent
    assert not consenting.email_consent_withdrawn_by_client
    queued.refresh_from_db()
    sent.refresh_from_db()
    assert (queued.status, sent.status) == (ReminderStatus.CANCELLED, ReminderStatus.SENT)


def test_discharge_cancels_everything_queued(as_user, therapist, consenting):
    queued = queued_reminder(consenting)
    as_user(therapist).post(
        reverse("clients:edit", args=[consenting.pk]),
        {
            "preferred_name": "Jordan",
            "time_zone": "America/New_York",
            "status": "discharged",
            "stage_of_change": "action",
            "attendance_preference": "any",
            "program_preference": "any",
        },
    )
    queued.refresh_from_db()
    assert queued.status == ReminderStatus.CANCELLED


def test_ending_a_plan_cancels_its_reminders(as_user, therapist, consenting):
    queued = queued_reminder(consenting)
    as_user(therapist).post(reverse("clients:plan_end", args=[consenting.pk, queued.plan_id]))
    queued.refresh_from_db()
    assert queued.status == ReminderStatus.CANCELLED


def test_preferences_save_and_bad_values_are_form_errors(as_user, therapist, consenting):
    browser = as_user(therapist)
    data = {
        "reminder_lead_minutes": "90",
        "checkin_enabled": "on",
        "checkin_delay_minutes": "30",
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:30",
        "discreet_mode": "on",
    }
    assert browser.post(reminders_url(consenting), data).status_code == 302
    consenting.refresh_from_db()
    assert consenting.reminder_lead_minutes == 90
    assert consenting.quiet_hours_end == datetime.time(7, 30)
    response = browser.post(reminders_url(consenting), {**data, "reminder_lead_minutes": "0"})
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode()


def test_failed_reminders_show_on_the_client_pages(as_user, therapist, consenting):
    queued_reminder(consenting, status="failed", last_error="SMTPDataError: 554 rejected")
    browser = as_user(therapist)
    for url in (reminders_url(consenting), reverse("clients:detail", args=[consenting.pk])):
        body = browser.get(url).content.decode()
        assert "Failed" in body
        assert "554 rejected" in body


def test_manager_sees_reminders_but_changes_nothing(as_user, manager, consenting):
    browser = as_user(manager)
    assert browser.get(reminders_url(consenting)).status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, client=consenting).exists()
    assert (
        browser.post(reverse("clients:consent_withdraw", args=[consenting.pk])).status_code == 404
    )
    consenting.refresh_from_db()
    assert consenting.has_email_consent


@pytest.mark.parametrize("who", ["colleague", "outsider"])
def test_reminder_pages_are_scoped(request, as_user, who, consenting):
    browser = as_user(request.getfixturevalue(who))
    assert browser.get(reminders_url(consenting)).status_code == 404
    assert (
        browser.post(reverse("clients:consent_withdraw", args=[consenting.pk])).status_code == 404
    )
