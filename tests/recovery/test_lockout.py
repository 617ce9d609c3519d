"""Lockout (django-axes): five failures for one email from one IP lock that pair out for 15
minutes; the message never tells whether an account exists."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from recovery.models import AuditAction, AuditEvent
from tests.factories import TEST_PASSWORD

NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)
HOME_IP = "203.0.113.7"
OTHER_IP = "198.51.100.23"


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def attempt(client, email, password, ip=HOME_IP):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def fail(client, email, times, ip=HOME_IP):
    return [attempt(client, email, "not the password at all", ip) for _ in range(times)][-1]


def signed_in_as(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_failures_lock_the_account_for_this_address(client, therapist):
    response = fail(client, therapist.email, 4)
    assert response.status_code == 200
    assert "Please enter a correct email and password" in response.content.decode()
    fifth = fail(client, therapist.email, 1)
    assert fifth.status_code == 429
    # Even the right password is refused now.
    response = attempt(client, therapist.email, TEST_PASSWORD)
    assert response.status_code == 429
    assert not signed_in_as(client)


def test_the_locked_out_page_is_calm_and_still_the_sign_in_page(client, therapist):
    response = fail(client, therapist.email, 5)
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert "Sign-in is paused for up to 15 minutes." in body
    assert "practice admin can set a new one" in body
    assert 'name="password"' in body  # the form, to try again later
    assert "<!doctype html>" in body  # the site's page, not axes' bare text
    assert "Account locked" not in body


def test_lockout_is_audited_with_the_practice(client, therapist):
    fail(client, therapist.email, 5)
    attempt(client, therapist.email, TEST_PASSWORD)
    events = AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT)
    # The fifth failure and the refused attempt after it.
    assert events.count() == 2
    event = events.first()
    assert event.actor_identifier == therapist.email
    assert event.practice == therapist.practice
    assert event.ip_address == HOME_IP
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 6


def test_another_address_can_still_sign_in(client, therapist):
    # Nobody can lock a colleague out from somewhere else.
    fail(client, therapist.email, 6)
    response = attempt(client, therapist.email, TEST_PASSWORD, ip=OTHER_IP)
    assert response.status_code == 302
    assert signed_in_as(client)


def test_another_account_from_the_same_address_can_still_sign_in(client, therapist, colleague):
    fail(client, therapist.email, 5)
    assert attempt(client, colleague.email, TEST_PASSWORD).status_code == 302


def test_the_email_counts_whatever_its_case(client, therapist):
    fail(client, therapist.email.upper(), 3)
    fail(client, therapist.email, 2)
    assert attempt(client, therapist.email, TEST_PASSWORD).status_code == 429


def test_the_lock_lifts_after_fifteen_minutes(client, therapist, _frozen_clock):
    fail(client, therapist.email, 5)
    _frozen_clock.shift(datetime.timedelta(minutes=14, seconds=59))
    assert attempt(client, therapist.email, TEST_PASSWORD).status_code == 429
    _frozen_clock.shift(datetime.timedelta(seconds=2))
    assert attempt(client, therapist.email, TEST_PASSWORD).status_code == 302


def test_a_success_clears_the_count(client, therapist):
    fail(client, therapist.email, 4)
    assert attempt(client, therapist.email, TEST_PASSWORD).status_code == 302
    client.post(reverse("logout"))
    fail(client, therapist.email, 4)
    assert attempt(client, therapist.email, TEST_PASSWORD).status_code == 302


def test_unknown_accounts_get_the_same_messages(client, therapist):
    known = fail(client, therapist.email, 1).context["form"].non_field_errors()
    unknown = fail(client, "nobody@example.org", 1).context["form"].non_field_errors()
    assert known == unknown
    # ... and the same lockout, so locking out says nothing either.
    fail(client, therapist.email, 4)
    locked_known = attempt(client, therapist.email, TEST_PASSWORD)
    fail(client, "nobody@example.org", 4)
    locked_unknown = attempt(client, "nobody@example.org", TEST_PASSWORD)
    assert locked_known.status_code == locked_unknown.status_code == 429
    assert comparable(locked_known, therapist.email) == comparable(
        locked_unknown, "nobody@example.org"
    )


def comparable(response, email: str) -> str:
    """The page without what differs by request anyway: the email typed, tokens, nonces."""
    body = response.content.decode().replace(email, "")
    return re.sub(r'value="[^"]{40,}"|"X-CSRFToken": "[^"]+"|nonce="[^"]*"', "", body)


def test_the_password_is_never_stored_by_axes(client, therapist):
    from axes.models import AccessAttempt

    attempt(client, therapist.email, "a secret wrong guess")
    stored = str(list(AccessAttempt.objects.values()))
    assert "a secret wrong guess" not in stored


def test_the_admin_sign_in_page_is_locked_too(client, therapist):
    fail(client, therapist.email, 5)
    response = client.post(
        reverse("admin:login"),
        {"username": therapist.email, "password": TEST_PASSWORD},
        REMOTE_ADDR=HOME_IP,
    )
    assert response.status_code == 429
    assert not signed_in_as(client)


# --- Behind a proxy: the client's address, from the header the proxy appends to -------------

PROXY_IP = "10.0.0.2"


def via_proxy(client, email, password, client_ip, claimed=""):
    """A sign-in through one proxy that appends the address it saw to X-Forwarded-For."""
    forwarded = f"{claimed}, {client_ip}" if claimed else client_ip
    return client.post(
        reverse("login"),
        {"username": email, "password": password},
        REMOTE_ADDR=PROXY_IP,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_behind_a_trusted_proxy_one_address_cannot_lock_out_another(settings, client, therapist):
    settings.TRUSTED_PROXIES = 1
    for _ in range(5):
        via_proxy(client, therapist.email, "not the password at all", OTHER_IP)
    assert via_proxy(client, therapist.email, "x" * 12, OTHER_IP).status_code == 429

    via_proxy(client, therapist.email, TEST_PASSWORD, HOME_IP)
    assert signed_in_as(client)
    event = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).first()
    assert event is None or event.ip_address == OTHER_IP
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, ip_address=HOME_IP).exists()


def test_an_address_the_caller_writes_into_the_header_is_never_believed(
    settings, client, therapist
):
    settings.TRUSTED_PROXIES = 1
    # Failures from OTHER_IP, each claiming a fresh address in front: still one address.
    for index in range(5):
        via_proxy(client, therapist.email, "wrong password!", OTHER_IP, f"192.0.2.{index}")
    assert (
        via_proxy(client, therapist.email, TEST_PASSWORD, OTHER_IP, "192.0.2.99").status_code == 429
    )


def test_without_trusted_proxies_the_header_is_ignored(settings, client, therapist):
    settings.TRUSTED_PROXIES = 0
    for index in range(5):
        via_proxy(client, therapist.email, "wrong password!", f"198.51.100.{index}")
    # Every attempt came from the proxy's address: that pair is locked.
    assert via_proxy(client, therapist.email, TEST_PASSWORD, HOME_IP).status_code == 429
