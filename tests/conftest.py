"""Shared fixtures: in every test, an owner, a colleague and an outsider (as healthchecks does)."""

import time

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery.models import Role
from tests.factories import ClientFactory, PracticeFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher is deliberately slow; tests sign in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    # Each test builds its own catalogue; nothing cached by another test may leak in.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def development(settings):
    """DJANGO_DEBUG=1, as on a laptop (pytest-django runs every test with DEBUG off)."""
    settings.DEBUG = True


@pytest.fixture
def practice(db):
    return PracticeFactory(name="Harbor Counseling")


@pytest.fixture
def therapist(practice):
    return UserFactory(practice=practice, role=Role.THERAPIST, full_name="Dana Owner")


@pytest.fixture
def colleague(practice):
    """A therapist in the same practice who does not treat the client."""
    return UserFactory(practice=practice, role=Role.THERAPIST, full_name="Casey Colleague")


@pytest.fixture
def manager(practice):
    return UserFactory(practice=practice, role=Role.MANAGER, full_name="Morgan Manager")


@pytest.fixture
def practice_admin(practice):
    return UserFactory(practice=practice, role=Role.ADMIN, is_staff=True, full_name="Avery Admin")


@pytest.fixture
def outsider(db):
    """A manager of another practice: sees everything there, nothing here."""
    return UserFactory(practice=PracticeFactory(name="Elsewhere"), role=Role.MANAGER)


@pytest.fixture
def client_record(therapist):
    return ClientFactory(primary_therapist=therapist, preferred_name="Jordan")


def pass_two_factor(browser: HttpClient, user) -> None:
    """Mark the browser's session as having passed two-factor, as django_otp.login() does
    after a good code, with the user's authenticator (one is set up if they have none)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test authenticator")
    session = browser.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def signed_in(user, *, verified: bool = True) -> HttpClient:
    """A test client signed in as `user`, past two-factor unless `verified=False`, so pages
    open whether REQUIRE_2FA is on or off.

    force_login rather than login(): django-axes needs a request to check every password.
    """
    browser = HttpClient()
    browser.force_login(user)
    if verified:
        pass_two_factor(browser, user)
    return browser


@pytest.fixture
def as_user():
    return signed_in


def current_totp(device: TOTPDevice) -> str:
    """The code an authenticator app shows for this device now (time-machine's now in tests)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def totp_code():
    return current_totp
