"""A practice admin's Django admin shows their own practice only."""

import pytest
from django.urls import reverse

from recovery.models import AuditAction, AuditEvent
from tests.factories import ClientFactory, PracticeFactory, SessionNoteFactory, UserFactory


@pytest.fixture
def foreign_client(db):
    return ClientFactory(
        primary_therapist=UserFactory(practice=PracticeFactory(name="Other"), full_name="Zed"),
        preferred_name="Foreigner",
    )


def test_client_list_holds_only_the_admins_practice(
    as_user, practice_admin, client_record, foreign_client
):
    body = as_user(practice_admin).get(reverse("admin:clients_client_changelist")).content.decode()
    assert client_record.preferred_name in body
    assert "Foreigner" not in body


def test_another_practices_client_is_not_reachable(as_user, practice_admin, foreign_client):
    browser = as_user(practice_admin)
    for name in ("change", "delete", "history"):
        url = reverse(f"admin:clients_client_{name}", args=[foreign_client.pk])
        assert browser.get(url).status_code == 404, name
        assert browser.post(url, {"post": "yes"}).status_code == 404, name
    foreign_client.refresh_from_db()
    assert not AuditEvent.objects.filter(client=foreign_client).exists()


def test_reading_a_client_in_the_admin_is_audited(as_user, practice_admin, client_record):
    url = reverse("admin:clients_client_change", args=[client_record.pk])
    assert as_user(practice_admin).get(url).status_code == 200
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, client=client_record, actor=practice_admin
    ).exists()


def test_therapist_choices_exclude_other_practices(
    as_user, practice_admin, therapist, foreign_client
):
    body = as_user(practice_admin).get(reverse("admin:clients_client_add")).content.decode()
    assert therapist.full_name in body
    assert "Zed" not in body


def test_users_and_audit_events_are_scoped(as_user, practice_admin, foreign_client, therapist):
    browser = as_user(practice_admin)
    users = browser.get(reverse("admin:recovery_user_changelist")).content.decode()
    assert therapist.email in users
    assert foreign_client.primary_therapist.email not in users
    audit = browser.get(reverse("admin:recovery_auditevent_changelist"))
    assert audit.status_code == 200


def test_audit_events_are_read_only_in_the_admin(as_user, practice_admin):
    browser = as_user(practice_admin)  # signing in writes the event we then try to change
    event = AuditEvent.objects.filter(actor=practice_admin).first()
    url = reverse("admin:recovery_auditevent_change", args=[event.pk])
    response = browser.post(url, {"action": "delete"})
    assert response.status_code == 403
    delete = reverse("admin:recovery_auditevent_delete", args=[event.pk])
    assert browser.post(delete, {"post": "yes"}).status_code == 403


def test_signed_notes_are_read_only_in_the_admin(as_user, practice_admin, therapist, client_record):
    import datetime

    note = SessionNoteFactory(
        client=client_record,
        status="signed",
        signed_by=therapist,
        signed_at=datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC),
    )
    url = reverse("admin:clients_sessionnote_change", args=[note.pk])
    response = as_user(practice_admin).post(url, {"session_date": "2020-01-01"})
    assert response.status_code == 403
