"""Two-factor sign-in with django-otp: an authenticator app (TOTP) and one-time backup codes.

A person has at most one confirmed TOTP device and one static device holding their backup
codes. A session is verified when django_otp.login() has put a device in it; django-otp's
middleware then answers `request.user.is_verified()`. Wrong codes are throttled by django-otp
per device (waits of 1, 2, 4, 8 ... seconds after successive failures).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import django_otp
import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery.models import AuditAction, User
from recovery.services import audit

BACKUP_CODE_COUNT = 10
TOTP_CODE = re.compile(r"\d{6}")
AUTHENTICATOR_NAME = "Authenticator app"
BACKUP_CODES_NAME = "Backup codes"


class TooManyAttempts(Exception):
    """django-otp refuses to check another code on this device for now."""


def normalise_code(raw: str) -> str:
    # People copy codes with spaces or dashes ("123 456", "abcd-efgh"); backup codes are
    # lower-case base32.
    return re.sub(r"[\s-]", "", raw).lower()


def has_device(user: User) -> bool:
    return django_otp.user_has_device(user)


def is_required(user: User) -> bool:
    """Whether this person must pass the second factor before using the app."""
    return settings.REQUIRE_2FA or has_device(user)


def authenticator(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The not-yet-confirmed device an enrolment page shows; the same one on each reload, so
    a QR code already scanned stays good."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def secret_for_typing(device: TOTPDevice) -> str:
    """The key as authenticator apps take it when typed: base32, in groups of four."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> SafeString:
    """The device's otpauth:// address as an inline SVG QR code.

    Safe to mark: segno writes only its own path markup, and the title is a fixed string.
    """
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(scale=5, dark="#000", light="#fff", title="QR code for your app")
    return mark_safe(svg)


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    backup_codes: list[str]


def totp_device_confirm(*, request: HttpRequest, device: TOTPDevice, code: str) -> Enrolment | None:
    """Confirm a pending device with a code from the app. On success it replaces any earlier
    authenticator, comes with fresh backup codes and verifies this session."""
    user = request.user
    if device.user_id != user.pk or device.confirmed:
        return None
    code = normalise_code(code)
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        raise TooManyAttempts
    if not (TOTP_CODE.fullmatch(code) and device.verify_token(code)):
        audit(action=AuditAction.OTP_FAILED, actor=user, obj=device, request=request)
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _backup_codes_replace(user=user)
    django_otp.login(request, device)
    audit(action=AuditAction.OTP_ENROLLED, actor=user, obj=device, request=request)
    return Enrolment(device=device, backup_codes=codes)


def backup_codes_replace(*, request: HttpRequest) -> list[str]:
    """A new set of backup codes for the signed-in person; the old ones stop working."""
    user = request.user
    with transaction.atomic():
        codes = _backup_codes_replace(user=user)
    device = StaticDevice.objects.get(user=user, name=BACKUP_CODES_NAME)
    audit(action=AuditAction.OTP_ENROLLED, actor=user, obj=device, request=request)
    return codes


def _backup_codes_replace(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).exclude(name=BACKUP_CODES_NAME).delete()
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_CODES_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    device.throttle_reset()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _device_for_code(user: User, code: str) -> Device | None:
    # Six digits come from the app; anything else can only be a backup code. Checking the
    # one device the code's shape names keeps a typo from counting against both throttles.
    if TOTP_CODE.fullmatch(code):
        return authenticator(user)
    return StaticDevice.objects.devices_for_user(user, confirmed=True).first()


def session_verify(*, request: HttpRequest, code: str) -> Device | None:
    """Check a code after the password; on success this session is verified."""
    user = request.user
    code = normalise_code(code)
    device = _device_for_code(user, code)
    if device is not None:
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            raise TooManyAttempts
        # verify_token locks the device row, so two requests cannot both use one code.
        device = django_otp.verify_token(user, device.persistent_id, code)
    if device is None:
        audit(action=AuditAction.OTP_FAILED, actor=user, obj=user, request=request)
        return None
    django_otp.login(request, device)
    audit(action=AuditAction.OTP_VERIFIED, actor=user, obj=device, request=request)
    return device
