"""Two-factor sign-in: setting up an app, backup codes, the code step after the password,
REQUIRE_2FA, the admin's own demand, throttling and the audit trail."""

import base64
import datetime

import pytest
import time_machine
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery import two_factor
from recovery.models import AuditAction, AuditEvent
from tests.conftest import signed_in
from tests.factories import TEST_PASSWORD, PracticeFactory, UserFactory

NOW = datetime.datetime(2026, 11, 20, 14, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    # TOTP codes depend on the clock; a frozen one makes each code known and stable.
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def require_2fa(settings):
    settings.REQUIRE_2FA = True


@pytest.fixture
def enrolled(therapist):
    """The therapist with a confirmed authenticator and two backup codes."""
    device = TOTPDevice.objects.create(user=therapist, name="Authenticator app")
    backup = StaticDevice.objects.create(user=therapist, name="Backup codes")
    backup.token_set.create(token="abcd2345")
    backup.token_set.create(token="efgh6723")
    return device


def half_signed_in(user):
    """Password accepted, second factor not yet passed."""
    return signed_in(user, verified=False)


def sign_in_with_password(client, user, next_url=""):
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": user.email, "password": TEST_PASSWORD})


def is_verified(browser) -> bool:
    return "otp_device_id" in browser.session


# --- The gate after the password -------------------------------------------------------------


def test_required_2fa_sends_a_new_sign_in_to_set_up_with_the_page_asked_for(
    client, therapist, require_2fa
):
    response = sign_in_with_password(client, therapist, next_url="/clients/")
    assert response.status_code == 302
    assert response.url == reverse("two_factor_enrol") + "?next=%2Fclients%2F"


def test_password_alone_reaches_no_page_when_2fa_is_required(therapist, require_2fa):
    browser = half_signed_in(therapist)
    response = browser.get(reverse("clients:caseload"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_enrol"))
    assert browser.get(reverse("account_security")).status_code == 302


def test_an_enrolled_person_is_asked_for_a_code_after_the_password(client, therapist, enrolled):
    # REQUIRE_2FA is off in tests: whoever set it up passes it anyway.
    response = sign_in_with_password(client, therapist)
    assert response.url == reverse("two_factor_verify") + "?next=%2F"
    assert client.get(reverse("clients:caseload")).url.startswith(reverse("two_factor_verify"))


def test_without_2fa_required_an_unenrolled_person_goes_straight_in(client, therapist):
    response = sign_in_with_password(client, therapist)
    assert response.url == reverse("home")
    assert client.get(reverse("clients:caseload")).status_code == 200


def test_htmx_requests_are_redirected_by_header_not_by_a_swapped_page(therapist, enrolled):
    response = half_signed_in(therapist).get(
        reverse("clients:caseload"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/clients/?q=a",
    )
    assert response.status_code == 403
    assert response["HX-Redirect"] == reverse("two_factor_verify") + "?next=%2Fclients%2F%3Fq%3Da"


def test_sign_out_stays_open_half_way(therapist, enrolled):
    browser = half_signed_in(therapist)
    assert browser.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in browser.session


# --- Verifying -------------------------------------------------------------------------------


def test_a_good_code_verifies_the_session_and_is_audited(therapist, enrolled, totp_code):
    browser = half_signed_in(therapist)
    response = browser.post(
        reverse("two_factor_verify") + "?next=/clients/", {"code": totp_code(enrolled)}
    )
    assert response.status_code == 302
    assert response.url == "/clients/"
    assert is_verified(browser)
    assert browser.get(reverse("clients:caseload")).status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.OTP_VERIFIED)
    assert event.actor == therapist
    assert event.object_type == "otp_totp.totpdevice"


def test_a_code_with_spaces_is_accepted(therapist, enrolled, totp_code):
    code = totp_code(enrolled)
    browser = half_signed_in(therapist)
    browser.post(reverse("two_factor_verify"), {"code": f" {code[:3]} {code[3:]} "})
    assert is_verified(browser)


def test_a_wrong_code_is_refused_and_audited(therapist, enrolled, totp_code):
    wrong = f"{(int(totp_code(enrolled)) + 1) % 1_000_000:06d}"
    browser = half_signed_in(therapist)
    response = browser.post(reverse("two_factor_verify"), {"code": wrong})
    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    assert not is_verified(browser)
    assert AuditEvent.objects.filter(action=AuditAction.OTP_FAILED, actor=therapist).count() == 1
    assert not AuditEvent.objects.filter(action=AuditAction.OTP_VERIFIED).exists()


def test_a_code_cannot_be_used_twice(therapist, enrolled, totp_code):
    code = totp_code(enrolled)
    half_signed_in(therapist).post(reverse("two_factor_verify"), {"code": code})
    # Someone who watched the code being typed tries it in another browser straight away.
    thief = half_signed_in(therapist)
    thief.post(reverse("two_factor_verify"), {"code": code})
    assert not is_verified(thief)


def test_guessing_is_throttled(therapist, enrolled, totp_code, _frozen_clock):
    browser = half_signed_in(therapist)
    browser.post(reverse("two_factor_verify"), {"code": "000000"})
    # Straight after a wrong guess even the right code is not checked.
    response = browser.post(reverse("two_factor_verify"), {"code": totp_code(enrolled)})
    assert "Too many wrong codes" in response.content.decode()
    assert not is_verified(browser)
    for _ in range(3):
        _frozen_clock.shift(datetime.timedelta(seconds=1))
        browser.post(reverse("two_factor_verify"), {"code": "000000"})
    enrolled.refresh_from_db()
    assert enrolled.throttling_failure_count == 3  # the refused tries were not even counted
    # The wait doubles with each failure: 4 s after the third.
    _frozen_clock.shift(datetime.timedelta(seconds=3))
    response = browser.post(reverse("two_factor_verify"), {"code": totp_code(enrolled)})
    assert "Too many wrong codes" in response.content.decode()
    _frozen_clock.shift(datetime.timedelta(seconds=2))
    browser.post(reverse("two_factor_verify"), {"code": totp_code(enrolled)})
    assert is_verified(browser)


def test_a_backup_code_works_once(therapist, enrolled):
    browser = half_signed_in(therapist)
    browser.post(reverse("two_factor_verify"), {"code": "ABCD-2345"})
    assert is_verified(browser)
    assert not StaticToken.objects.filter(token="abcd2345").exists()
    again = half_signed_in(therapist)
    again.post(reverse("two_factor_verify"), {"code": "abcd2345"})
    assert not is_verified(again)


def test_another_persons_backup_code_does_not_work(therapist, colleague, enrolled):
    StaticDevice.objects.create(user=colleague, name="Backup codes").token_set.create(
        token="zzzz7777"
    )
    browser = half_signed_in(therapist)
    browser.post(reverse("two_factor_verify"), {"code": "zzzz7777"})
    assert not is_verified(browser)


@pytest.mark.parametrize("code", ["", "\x00\x00\x00", "<script>alert(1)</script>", "9" * 10_000])
def test_malformed_codes_get_a_form_error(therapist, enrolled, code):
    response = half_signed_in(therapist).post(reverse("two_factor_verify"), {"code": code})
    assert response.status_code == 200
    body = response.content.decode()
    assert "is-invalid" in body
    assert "<script>alert(1)" not in body


def test_verify_never_redirects_off_site(therapist, enrolled, totp_code):
    browser = half_signed_in(therapist)
    response = browser.post(
        reverse("two_factor_verify") + "?next=https://evil.example/", {"code": totp_code(enrolled)}
    )
    assert response.url == reverse("home")


def test_verify_sends_someone_without_a_device_to_set_up(therapist):
    response = half_signed_in(therapist).get(reverse("two_factor_verify"))
    assert response.url.startswith(reverse("two_factor_enrol"))


# --- Setting up ------------------------------------------------------------------------------


def test_set_up_page_shows_a_qr_code_and_the_key_to_type(therapist, require_2fa):
    response = half_signed_in(therapist).get(reverse("two_factor_enrol"))
    assert response.status_code == 200
    body = response.content.decode()
    device = TOTPDevice.objects.get(user=therapist, confirmed=False)
    assert '<svg width="' in body and 'class="segno"' in body
    assert "data:" not in body.split('class="segno"')[1].split("</svg>")[0]
    typed = base64.b32encode(device.bin_key).decode().rstrip("=")
    shown = " ".join(typed[i : i + 4] for i in range(0, len(typed), 4))
    assert shown in body
    assert "no-store" in response["Cache-Control"]


def test_the_qr_code_holds_the_otpauth_address_of_the_pending_device(therapist):
    device = two_factor.totp_device_pending(user=therapist)
    assert device.config_url.startswith("otpauth://totp/Recovery%20Bridge%3A")
    assert "issuer=Recovery%20Bridge" in device.config_url
    # Reloading the page keeps the key a phone may already have scanned.
    assert two_factor.totp_device_pending(user=therapist) == device


def test_confirming_turns_2fa_on_with_backup_codes_shown_once(therapist, require_2fa, totp_code):
    browser = half_signed_in(therapist)
    browser.get(reverse("two_factor_enrol"))
    device = TOTPDevice.objects.get(user=therapist)
    response = browser.post(
        reverse("two_factor_enrol") + "?next=/clients/", {"code": totp_code(device)}
    )
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert is_verified(browser)
    event = AuditEvent.objects.get(action=AuditAction.OTP_ENROLLED)
    assert (event.actor, event.object_id) == (therapist, str(device.pk))

    page = browser.get(response.url)
    assert page.status_code == 200
    tokens = set(StaticToken.objects.filter(device__user=therapist).values_list("token", flat=True))
    assert len(tokens) == 10
    assert all(token in page.content.decode() for token in tokens)
    assert 'href="/clients/"' in page.content.decode()
    # Shown once: the page does not show them again.
    assert browser.get(response.url).url == reverse("account_security")
    assert browser.get(reverse("clients:caseload")).status_code == 200


def test_a_wrong_code_leaves_2fa_off(therapist, totp_code):
    browser = half_signed_in(therapist)
    browser.get(reverse("two_factor_enrol"))
    device = TOTPDevice.objects.get(user=therapist)
    wrong = f"{(int(totp_code(device)) + 5) % 1_000_000:06d}"
    response = browser.post(reverse("two_factor_enrol"), {"code": wrong})
    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not is_verified(browser)
    assert AuditEvent.objects.filter(action=AuditAction.OTP_FAILED).count() == 1
    assert not StaticDevice.objects.filter(user=therapist).exists()


def test_a_password_alone_cannot_set_up_a_new_phone(therapist, enrolled):
    # A thief with the password must not swap in their own authenticator.
    response = half_signed_in(therapist).get(reverse("two_factor_enrol"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_verify"))
    assert not TOTPDevice.objects.filter(user=therapist, confirmed=False).exists()


def test_a_verified_person_can_replace_their_phone(therapist, enrolled, totp_code, _frozen_clock):
    browser = signed_in(therapist)
    browser.get(reverse("two_factor_enrol"))
    new = TOTPDevice.objects.get(user=therapist, confirmed=False)
    _frozen_clock.shift(datetime.timedelta(seconds=30))
    browser.post(reverse("two_factor_enrol"), {"code": totp_code(new)})
    assert list(TOTPDevice.objects.filter(user=therapist)) == [new]
    new.refresh_from_db()
    assert new.confirmed
    assert not StaticToken.objects.filter(token="abcd2345").exists()  # old codes replaced


# --- Backup codes ----------------------------------------------------------------------------


def test_new_backup_codes_replace_the_old_ones(therapist, enrolled):
    browser = signed_in(therapist)
    response = browser.post(reverse("two_factor_backup_codes"))
    assert response.url == reverse("two_factor_backup_codes")
    page = browser.get(response.url).content.decode()
    tokens = list(
        StaticToken.objects.filter(device__user=therapist).values_list("token", flat=True)
    )
    assert len(tokens) == 10
    assert "abcd2345" not in tokens
    assert all(token in page for token in tokens)
    assert AuditEvent.objects.filter(
        action=AuditAction.OTP_ENROLLED, object_type="otp_static.staticdevice"
    ).exists()


def test_backup_codes_need_a_verified_session(therapist, enrolled):
    browser = half_signed_in(therapist)
    response = browser.post(reverse("two_factor_backup_codes"))
    assert response.status_code == 302
    assert StaticToken.objects.filter(token="abcd2345").exists()


def test_security_page_shows_the_state(therapist, enrolled):
    body = signed_in(therapist).get(reverse("account_security")).content.decode()
    assert "Backup codes left: <strong>2</strong>" in body
    assert "Make new backup codes" in body


# --- The admin -------------------------------------------------------------------------------


def test_admin_demands_2fa_even_when_not_required(practice_admin, settings):
    settings.REQUIRE_2FA = False
    browser = half_signed_in(practice_admin)
    response = browser.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url == reverse("two_factor_enrol") + "?next=%2Fadmin%2F"
    assert browser.get(reverse("admin:recovery_user_changelist")).status_code == 302


def test_admin_site_itself_refuses_an_unverified_session(practice_admin, rf):
    from django.contrib import admin

    request = rf.get("/admin/")
    practice_admin.is_verified = lambda: False
    request.user = practice_admin
    assert not admin.site.has_permission(request)
    practice_admin.is_verified = lambda: True
    assert admin.site.has_permission(request)


def test_admin_opens_once_verified(practice_admin, totp_code):
    device = TOTPDevice.objects.create(user=practice_admin, name="Authenticator app")
    browser = half_signed_in(practice_admin)
    response = browser.post(
        reverse("two_factor_verify") + "?next=/admin/", {"code": totp_code(device)}
    )
    assert response.url == "/admin/"
    assert browser.get("/admin/").status_code == 200


def test_admin_lists_only_its_own_practices_devices(practice_admin, therapist, enrolled):
    outsider = UserFactory(practice=PracticeFactory(name="Elsewhere"))
    foreign = TOTPDevice.objects.create(user=outsider, name="Foreign phone")
    browser = signed_in(practice_admin)
    listing = browser.get(reverse("admin:otp_totp_totpdevice_changelist")).content.decode()
    assert therapist.full_name in listing
    assert outsider.full_name not in listing
    change = browser.get(reverse("admin:otp_totp_totpdevice_change", args=[foreign.pk]))
    assert change.status_code == 404  # another practice's device, as any row out of scope
    own = browser.get(reverse("admin:otp_totp_totpdevice_change", args=[enrolled.pk]))
    assert own.status_code == 200
    assert enrolled.key not in own.content.decode()
    assert browser.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    codes = browser.get(reverse("admin:otp_static_staticdevice_changelist")).content.decode()
    assert "abcd2345" not in codes
