"""A practice admin's Django admin shows their own practice only."""

import pytest
from django.urls import reverse
from django.utils import timezone

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
    # Users are the admin's to manage; a new user's practice can only be the admin's own.
    body = as_user(practice_admin).get(reverse("admin:recovery_user_add")).content.decode()
    assert practice_admin.practice.name in body
    assert foreign_client.practice.name not in body


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


# --- Clinical rows are read here; the operator's account is out of reach ----------------------


@pytest.mark.parametrize(
    "name", ["client", "sessionnote", "laddermove", "meetingplan", "attendance", "reminder"]
)
def test_clinical_rows_cannot_be_added_changed_or_deleted_in_the_admin(
    as_user, practice_admin, therapist, client_record, name
):
    from clients.models import Attendance, Reminder
    from tests.factories import AttendanceFactory, LadderMoveFactory, MeetingPlanFactory

    plan = MeetingPlanFactory(client=client_record)
    rows = {
        "client": client_record,
        "sessionnote": SessionNoteFactory(client=client_record),
        "laddermove": LadderMoveFactory(client=client_record, step=2),
        "meetingplan": plan,
        "attendance": AttendanceFactory(plan=plan),
        "reminder": Reminder.objects.create(
            plan=plan, occurrence_start=plan.created_at, kind="checkin", due_at=plan.created_at
        ),
    }
    row = rows[name]
    browser = as_user(practice_admin)
    change = reverse(f"admin:clients_{name}_change", args=[row.pk])
    assert browser.get(change).status_code == 200  # to read
    assert browser.post(change, {"preferred_name": "Changed", "step": "8"}).status_code == 403
    assert browser.get(reverse(f"admin:clients_{name}_add")).status_code == 403
    delete = reverse(f"admin:clients_{name}_delete", args=[row.pk])
    assert browser.post(delete, {"post": "yes"}).status_code == 403
    assert type(row).objects.filter(pk=row.pk).exists()
    assert Attendance.objects.count() == 1


def test_an_erasure_restriction_cannot_be_lifted_in_the_admin(
    as_user, practice_admin, client_record
):
    from clients.services.records import client_restrict

    client_restrict(actor=practice_admin, client=client_record, requested_on=timezone.localdate())
    url = reverse("admin:clients_client_change", args=[client_record.pk])
    response = as_user(practice_admin).post(
        url,
        {
            "restricted_at": "",
            "erasure_requested_on": "",
            "status": "active",
            "contact_email": "x@example.net",
        },
    )
    assert response.status_code == 403
    client_record.refresh_from_db()
    assert client_record.is_restricted and client_record.contact_email == ""


def test_opening_a_note_in_the_admin_is_audited_and_shows_no_form(
    as_user, practice_admin, client_record
):
    note = SessionNoteFactory(client=client_record)
    url = reverse("admin:clients_sessionnote_change", args=[note.pk])
    response = as_user(practice_admin).get(url)
    assert response.status_code == 200
    assert 'name="section_' not in response.content.decode()
    assert '<input type="submit"' not in response.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, client_id=client_record.pk, actor=practice_admin
    ).exists()


def test_a_practice_admin_cannot_reach_the_operators_account_or_its_devices(
    as_user, practice_admin
):
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    operator = UserFactory(
        practice=practice_admin.practice, is_superuser=True, is_staff=True, email="op@example.org"
    )
    totp = TOTPDevice.objects.create(user=operator, name="Operator's phone")
    backup = StaticDevice.objects.create(user=operator, name="Backup codes")
    browser = as_user(practice_admin)

    users = browser.get(reverse("admin:recovery_user_changelist")).content.decode()
    assert "op@example.org" not in users and practice_admin.email in users
    password = reverse("admin:auth_user_password_change", args=[operator.pk]).replace(
        "auth/user", "recovery/user"
    )
    assert browser.get(password).status_code == 404
    assert browser.post(password, {"password1": "x" * 20, "password2": "x" * 20}).status_code == 404
    assert browser.get(reverse("admin:recovery_user_change", args=[operator.pk])).status_code == 404
    for device, name in ((totp, "otp_totp_totpdevice"), (backup, "otp_static_staticdevice")):
        listing = browser.get(reverse(f"admin:{name}_changelist")).content.decode()
        assert "Operator" not in listing
        delete = reverse(f"admin:{name}_delete", args=[device.pk])
        assert browser.post(delete, {"post": "yes"}).status_code == 404
        assert type(device).objects.filter(pk=device.pk).exists()
    operator.refresh_from_db()
    assert operator.check_password("x" * 20) is False


def test_outcome_measures_are_read_only_in_the_admin_scored_by_code_elsewhere(
    as_user, practice_admin, client_record
):
    from clients.models import OutcomeMeasure
    from clients.services import outcome_measure_store

    measure = outcome_measure_store(
        client=client_record,
        instrument="readiness_ruler",
        responses={"importance": 7, "confidence": 4},
        administered_on=timezone.localdate(),
        source="therapist",
        entered_by=client_record.primary_therapist,
    )
    browser = as_user(practice_admin)
    add = reverse("admin:clients_outcomemeasure_add")
    assert browser.post(add, {"client": client_record.pk, "instrument": "bam"}).status_code == 403
    change = reverse("admin:clients_outcomemeasure_change", args=[measure.pk])
    page = browser.get(change)
    assert page.status_code == 200
    # The answers are the therapist's to read on the client's page, not the admin's.
    assert "Responses" not in page.content.decode()
    assert "Subscales" in page.content.decode()
    assert browser.post(change, {"band": "x"}).status_code == 403
    delete = reverse("admin:clients_outcomemeasure_delete", args=[measure.pk])
    assert browser.post(delete, {"post": "yes"}).status_code == 403
    assert OutcomeMeasure.objects.get().subscales == {"importance": 7, "confidence": 4}
