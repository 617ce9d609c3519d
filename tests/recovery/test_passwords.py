"""Passwords: at least 12 characters, no common ones, no composition rules, long ones welcome;
a signed-in person changes their own, and the change is audited."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from recovery.models import AuditAction, AuditEvent
from tests.conftest import signed_in
from tests.factories import TEST_PASSWORD


def change(browser, new, old=TEST_PASSWORD):
    return browser.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def can_sign_in(client, user, password) -> bool:
    response = client.post(reverse("login"), {"username": user.email, "password": password})
    return response.status_code == 302


def test_eleven_characters_are_too_few(therapist):
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("elevenchars", therapist)


def test_common_passwords_are_refused_however_long(therapist):
    with pytest.raises(ValidationError, match="too common"):
        validate_password("password1234", therapist)


@pytest.mark.parametrize(
    "password",
    [
        "twelve chars",  # exactly 12, spaces allowed
        "allsmallletterswithoutanydigit",  # no composition rules
        "ÉTÉ à Montréal, café über alles",  # any characters
    ],
)
def test_no_composition_rules(therapist, password):
    validate_password(password, therapist)


@pytest.mark.parametrize("length", [64, 200, 1000])
def test_long_passwords_work_end_to_end(client, therapist, length):
    words = "the quiet river runs under the old stone bridge at dawn "
    password = (words * (length // len(words) + 1))[:length]
    assert len(password) == length
    response = change(signed_in(therapist), password)
    assert response.status_code == 302, response.context["form"].errors
    therapist.refresh_from_db()
    assert therapist.check_password(password)
    assert can_sign_in(client, therapist, password)


def test_changing_a_password_is_audited(therapist):
    browser = signed_in(therapist)
    response = change(browser, "my brand new passphrase")
    assert response.url == reverse("account_security")
    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_CHANGED)
    assert event.actor == therapist
    assert "my brand new passphrase" not in str(AuditEvent.objects.values_list())
    assert "Your password was changed." in browser.get(response.url).content.decode()


def test_the_old_password_must_be_right(therapist):
    response = change(signed_in(therapist), "my brand new passphrase", old="wrong old one")
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    therapist.refresh_from_db()
    assert therapist.check_password(TEST_PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGED).exists()


@pytest.mark.parametrize("weak", ["short pass", "password1234", "staff"])
def test_the_change_page_refuses_weak_passwords(therapist, weak):
    response = change(signed_in(therapist), weak)
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    therapist.refresh_from_db()
    assert therapist.check_password(TEST_PASSWORD)


def test_a_password_like_the_email_is_refused(therapist):
    response = change(signed_in(therapist), therapist.email)
    assert response.status_code == 200
    assert "too similar" in response.content.decode()


def test_the_change_page_needs_sign_in(client, db):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_change_page_needs_two_factor_when_required(therapist, settings):
    settings.REQUIRE_2FA = True
    response = signed_in(therapist, verified=False).get(reverse("password_change"))
    assert response.url.startswith(reverse("two_factor_enrol"))
