"""Idle sign-out in a real browser: the warning, "Stay signed in", and the way back to sign-in
when nobody answers. Short limits keep it quick; the server enforces the same ones."""

import base64
import re

import pytest
from django_otp.oath import TOTP

from recovery.models import AuditAction, AuditEvent
from tests.factories import TEST_PASSWORD

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package"
)
expect = sync_api.expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_idle_warning_lets_you_stay_then_signs_you_out(sign_in, therapist, settings):
    settings.SESSION_IDLE_SECONDS = 8
    settings.SESSION_IDLE_WARNING_SECONDS = 5
    page = sign_in(therapist)
    expect(page).to_have_url("/clients/")
    warning = page.get_by_role("dialog", name="Still there?")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(re.compile(r"You will be signed out in [1-5] s"))

    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    # The server agrees: the idle time started again (asking does not count as activity).
    assert page.request.get("/account/session/").json()["remaining"] >= 6

    # Nobody answers the second warning: the page goes to sign-in and says why.
    expect(warning).to_be_visible()
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=%2Fclients%2F$"), timeout=15_000)
    expect(
        page.get_by_text("You were signed out after 8 seconds without activity.")
    ).to_be_visible()
    assert AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED, actor=therapist).exists()
    page.goto("/clients/")
    expect(page).to_have_url(re.compile(r"/sign-in/"))


def test_two_factor_set_up_and_sign_in_in_a_browser(page, therapist, settings):
    settings.REQUIRE_2FA = True
    page.goto("/sign-in/")
    page.get_by_label("Email").fill(therapist.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.locator("svg.segno")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("Code from the app").fill(f"{TOTP(key).token():06d}")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    codes = page.locator("#backup-codes li")
    expect(codes).to_have_count(10)
    backup = codes.first.inner_text().strip()
    page.get_by_role("link", name=re.compile("I have kept my codes")).click()
    expect(page).to_have_url("/clients/")

    # Next time: password, then a backup code in place of the app.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").fill(therapist.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code").fill(backup)
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url("/clients/")
