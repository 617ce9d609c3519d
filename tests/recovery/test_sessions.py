"""Sessions: a new key at sign-in, idle and absolute limits enforced on the server, and
sign-out, deactivation and a password change ending the person's other sessions."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.urls import reverse

from recovery.models import AuditAction, AuditEvent, UserSession
from tests.conftest import signed_in
from tests.factories import TEST_PASSWORD

NOW = datetime.datetime(2026, 11, 20, 8, 0, tzinfo=datetime.UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def later(clock, **delta):
    clock.shift(datetime.timedelta(**delta))


def is_signed_in(browser) -> bool:
    return browser.get(reverse("clients:caseload")).status_code == 200


def session_key(browser) -> str:
    return browser.cookies[django_settings.SESSION_COOKIE_NAME].value


# --- Sign-in ---------------------------------------------------------------------------------


def test_signing_in_gives_the_session_a_new_key(client, therapist):
    # A session that existed before sign-in (perhaps planted by someone else)...
    before = client.session
    before["visited"] = True
    before.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = before.session_key
    client.post(reverse("login"), {"username": therapist.email, "password": TEST_PASSWORD})
    after = session_key(client)
    assert after != before.session_key
    # ... is gone, and its key opens nothing.
    assert not Session.objects.filter(session_key=before.session_key).exists()
    assert UserSession.objects.get(user=therapist).session_key == after


# --- Idle ------------------------------------------------------------------------------------


def test_a_session_survives_just_under_the_idle_limit(therapist, clock):
    browser = signed_in(therapist)
    later(clock, minutes=14, seconds=59)
    assert is_signed_in(browser)


def test_an_idle_session_ends_on_the_server(therapist, clock):
    browser = signed_in(therapist)
    key = session_key(browser)
    later(clock, minutes=15, seconds=1)
    response = browser.get(reverse("clients:caseload"))
    assert response.status_code == 302
    assert response.url == reverse("login") + "?next=%2Fclients%2F"
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()
    event = AuditEvent.objects.get(action=AuditAction.SESSION_EXPIRED)
    assert event.actor == therapist
    # The sign-in page says why, and the old session does not come back.
    page = browser.get(response.url).content.decode()
    assert "You were signed out after 15 minutes without activity." in page
    assert not is_signed_in(browser)


def test_activity_keeps_a_session_going(therapist, clock):
    browser = signed_in(therapist)
    for _ in range(6):
        later(clock, minutes=10)
        assert is_signed_in(browser)
    assert not AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED).exists()


def test_htmx_and_autosave_requests_count_as_activity(therapist, client_record, clock):
    browser = signed_in(therapist)
    later(clock, minutes=10)
    # The note form's autosave is an htmx POST made only after the therapist typed.
    browser.post(
        reverse("clients:note_autosave", args=[client_record.pk]),
        {"session_date": "2026-11-20"},
        HTTP_HX_REQUEST="true",
    )
    later(clock, minutes=10)
    assert is_signed_in(browser)


def test_an_expired_htmx_request_is_sent_to_sign_in_by_header(therapist, clock):
    browser = signed_in(therapist)
    later(clock, minutes=16)
    response = browser.get(
        reverse("clients:caseload"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/clients/?q=jo",
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == reverse("login") + "?next=%2Fclients%2F%3Fq%3Djo"


def test_the_idle_limit_follows_the_setting(therapist, clock, settings):
    settings.SESSION_IDLE_SECONDS = 120
    browser = signed_in(therapist)
    later(clock, seconds=121)
    assert not is_signed_in(browser)


# --- The browser's questions ------------------------------------------------------------------


def test_status_says_how_long_is_left_without_counting_as_activity(therapist, clock):
    browser = signed_in(therapist)
    later(clock, minutes=10)
    state = browser.get(reverse("session_status"), HTTP_ACCEPT="application/json").json()
    assert state == {"remaining": 5 * 60, "ends_by": "idle"}
    later(clock, minutes=5, seconds=1)
    response = browser.get(reverse("session_status"), HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED).count() == 1


def test_stay_signed_in_starts_the_idle_time_again(therapist, clock):
    browser = signed_in(therapist)
    later(clock, minutes=14)
    state = browser.post(reverse("session_keepalive"), HTTP_ACCEPT="application/json").json()
    assert state["remaining"] == 15 * 60
    later(clock, minutes=14)
    assert is_signed_in(browser)


def test_keep_alive_needs_the_csrf_token(therapist):
    browser = signed_in(therapist)
    browser.handler.enforce_csrf_checks = True
    assert browser.post(reverse("session_keepalive")).status_code == 403


def test_status_of_a_signed_out_browser(client, db):
    response = client.get(reverse("session_status"), HTTP_ACCEPT="application/json")
    assert response.status_code == 401


# --- Absolute age ----------------------------------------------------------------------------


def test_a_busy_session_still_ends_twelve_hours_after_sign_in(therapist, clock):
    browser = signed_in(therapist)
    for _ in range(71):  # every 10 minutes for 11 h 50 min
        later(clock, minutes=10)
        assert is_signed_in(browser)
    state = browser.get(reverse("session_status")).json()
    assert state == {"remaining": 10 * 60, "ends_by": "limit"}
    later(clock, minutes=10, seconds=1)
    response = browser.get(reverse("clients:caseload"))
    assert response.url.startswith(reverse("login"))
    assert AuditEvent.objects.filter(action=AuditAction.SESSION_EXPIRED, actor=therapist).exists()
    assert "a session lasts at most 12 hours" in browser.get(response.url).content.decode()


# --- Ending the other sessions ----------------------------------------------------------------


def test_signing_out_ends_the_persons_other_sessions(therapist, colleague):
    laptop, desktop = signed_in(therapist), signed_in(therapist)
    theirs = signed_in(colleague)
    laptop.post(reverse("logout"))
    assert not is_signed_in(laptop)
    assert not is_signed_in(desktop)
    assert is_signed_in(theirs)
    assert not UserSession.objects.filter(user=therapist).exists()


def test_an_expired_session_leaves_the_others_alone(therapist, clock):
    idle, busy = signed_in(therapist), signed_in(therapist)
    later(clock, minutes=10)
    assert is_signed_in(busy)
    later(clock, minutes=10)
    assert not is_signed_in(idle)
    assert is_signed_in(busy)


def test_deactivating_a_user_anywhere_ends_their_sessions(therapist, colleague):
    first, second = signed_in(therapist), signed_in(therapist)
    keys = [session_key(first), session_key(second)]
    signed_in(colleague)
    therapist.is_active = False
    therapist.save()
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not is_signed_in(first)
    assert not is_signed_in(second)
    assert UserSession.objects.filter(user=colleague).count() == 1


def test_deactivating_a_user_in_the_admin_ends_their_sessions(therapist, practice_admin):
    theirs = signed_in(therapist)
    admin = signed_in(practice_admin)
    url = reverse("admin:recovery_user_change", args=[therapist.pk])
    response = admin.post(
        url,
        {
            "email": therapist.email,
            "full_name": therapist.full_name,
            "practice": therapist.practice_id,
            "role": therapist.role,
            # is_active left unticked
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    therapist.refresh_from_db()
    assert not therapist.is_active
    assert not is_signed_in(theirs)
    assert is_signed_in(admin)


def test_a_password_change_ends_the_other_sessions_but_not_this_one(therapist, colleague):
    here, elsewhere = signed_in(therapist), signed_in(therapist)
    theirs = signed_in(colleague)
    old_key = session_key(here)
    new_password = "a long new phrase nobody guesses"
    response = here.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    assert response.status_code == 302
    assert session_key(here) != old_key  # Django gives the surviving session a new key
    assert is_signed_in(here)
    assert "otp_device_id" in here.session  # still past two-factor
    assert not is_signed_in(elsewhere)
    assert is_signed_in(theirs)
    assert list(
        UserSession.objects.filter(user=therapist).values_list("session_key", flat=True)
    ) == [session_key(here)]


def test_a_password_set_by_an_admin_ends_the_persons_sessions(therapist, practice_admin):
    theirs = signed_in(therapist)
    admin = signed_in(practice_admin)
    new_password = "set by the practice admin today"
    response = admin.post(
        reverse("admin:auth_user_password_change", args=[therapist.pk]),
        {"password1": new_password, "password2": new_password, "usable_password": "true"},
    )
    assert response.status_code == 302
    # Django's session hash holds the old password: the session no longer opens anything.
    assert not is_signed_in(theirs)


# --- Settings --------------------------------------------------------------------------------


def _settings_value(expression: str, tmp_path, **env) -> str:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_DEBUG", "REQUIRE_2FA"}
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "recovery.settings", "VAR_DIR": str(tmp_path)})
    clean.update(env)
    result = subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print({expression})"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "SECRET_KEY": "k" * 50,
    "ALLOWED_HOSTS": "rb.example.org",
    "FIELD_ENCRYPTION_KEY": "zoYWdVnpY2Z8qFzW9gONLI5HugrEqZbflicMDgVHJtw=",
    "SITE_URL": "https://rb.example.org",
}


def test_settings_from_the_environment(tmp_path):
    assert _settings_value("settings.SESSION_IDLE_SECONDS", tmp_path) == "900"
    assert (
        _settings_value("settings.SESSION_IDLE_SECONDS", tmp_path, SESSION_IDLE_SECONDS="300")
        == "300"
    )
    # Two-factor: off for the laptop demo, on in production unless turned off on purpose.
    assert _settings_value("settings.REQUIRE_2FA", tmp_path) == "False"
    assert _settings_value("settings.REQUIRE_2FA", tmp_path, **PRODUCTION) == "True"
    assert (
        _settings_value("settings.REQUIRE_2FA", tmp_path, **PRODUCTION, REQUIRE_2FA="0") == "False"
    )
    assert _settings_value("settings.REQUIRE_2FA", tmp_path, REQUIRE_2FA="1") == "True"


def test_signed_in_pages_carry_the_idle_warning(therapist, client):
    body = signed_in(therapist).get(reverse("clients:caseload")).content.decode()
    assert 'data-idle-seconds="900"' in body
    assert 'data-warning-seconds="60"' in body  # a minute before
    assert "/static/js/idle.js" in body
    assert "js/idle.js" not in client.get(reverse("login")).content.decode()


def test_the_security_page_counts_only_sessions_still_open(therapist, clock):
    signed_in(therapist)  # left alone: past the idle limit below
    later(clock, minutes=10)
    busy = signed_in(therapist)
    here = signed_in(therapist)
    later(clock, minutes=6)
    assert is_signed_in(busy)
    body = here.get(reverse("account_security")).content.decode()
    assert "You are also signed in 1 other time " in body
