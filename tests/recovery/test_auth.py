"""Sign-in, sign-out and who reaches the Django admin."""

import pytest
from django.urls import reverse

from recovery.models import AuditAction, AuditEvent, Role, User
from tests.factories import TEST_PASSWORD, UserFactory


def test_sign_in_page_renders_the_email_form(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'type="email"' in body
    assert "Sign in" in body
    assert "csrfmiddlewaretoken" in body


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(reverse("clients:caseload"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_sign_in_with_email_is_audited(client, therapist):
    response = client.post(
        reverse("login"),
        {"username": therapist.email.upper(), "password": TEST_PASSWORD},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    assert response.url == reverse("home")
    event = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert event.actor == therapist
    assert event.practice == therapist.practice
    assert event.ip_address == "203.0.113.7"


def test_failed_sign_in_is_audited_without_the_password(client, therapist):
    response = client.post(
        reverse("login"), {"username": therapist.email, "password": "not-the-password"}
    )
    assert response.status_code == 200
    assert "Please enter a correct email and password" in response.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert event.actor is None
    assert event.actor_identifier == therapist.email
    assert event.practice == therapist.practice
    assert "not-the-password" not in str(AuditEvent.objects.values_list())


def test_failed_sign_in_for_an_unknown_account_is_audited_too(client, db):
    client.post(reverse("login"), {"username": "nobody@example.org", "password": "whatever1234"})
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert event.actor_identifier == "nobody@example.org"
    assert event.practice is None


def test_malformed_sign_in_gets_a_form_error_not_a_500(client, db):
    response = client.post(reverse("login"), {"username": "not an email\x00", "password": ""})
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()


def test_inactive_user_cannot_sign_in(client, therapist):
    therapist.is_active = False
    therapist.save()
    response = client.post(
        reverse("login"), {"username": therapist.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_sign_out_is_a_post_and_is_audited(as_user, therapist):
    browser = as_user(therapist)
    assert browser.get(reverse("logout")).status_code == 405
    response = browser.post(reverse("logout"))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=therapist).exists()
    assert browser.get(reverse("clients:caseload")).status_code == 302


def test_emails_are_stored_lower_case(practice):
    user = User.objects.create_user(
        email="Sam.Lee@Example.ORG",
        password=TEST_PASSWORD,
        full_name="Sam Lee",
        practice=practice,
    )
    assert user.email == "sam.lee@example.org"


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.MANAGER])
def test_admin_is_closed_to_therapists_and_managers(as_user, practice, role):
    user = UserFactory(practice=practice, role=role, is_staff=True)
    response = as_user(user).get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_admin_is_open_to_practice_admins(as_user, practice_admin):
    assert as_user(practice_admin).get(reverse("admin:index")).status_code == 200
