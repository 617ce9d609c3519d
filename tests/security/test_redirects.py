"""A hostile `next` never sends anyone off the site: through sign-in and two-factor."""

import pytest
from django.test import Client as HttpClient
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import TEST_PASSWORD

HOSTILE_NEXT = [
    "//evil.example/",
    "https://evil.example/",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    " https://evil.example/",
    "javascript:alert(1)",
    "https://testserver@evil.example/",
]


def assert_local(location: str) -> None:
    assert location.startswith("/"), location
    assert not location.startswith(("//", "/\\")), location
    # Browsers drop tabs and newlines from a URL: "/\t/evil" would become "//evil".
    assert not any(character in location for character in "\t\r\n"), location


@pytest.mark.parametrize("next_url", HOSTILE_NEXT)
def test_sign_in_and_two_factor_stay_on_the_site(settings, therapist, totp_code, next_url):
    settings.REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=therapist, name="phone", confirmed=True)
    browser = HttpClient()
    response = browser.post(
        f"/sign-in/?next={next_url}",
        {"username": therapist.email, "password": TEST_PASSWORD, "next": next_url},
    )
    assert response.status_code == 302
    assert_local(response["Location"])
    verify = browser.get(response["Location"])
    assert verify.status_code == 200
    response = browser.post(
        "/account/two-factor/verify/",
        {"code": totp_code(device), "next": next_url},
        QUERY_STRING=f"next={next_url}",
    )
    assert response.status_code == 302
    assert_local(response["Location"])


def test_a_local_next_is_followed(settings, therapist, totp_code):
    """The control: the same steps with a page of this site end on that page."""
    settings.REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=therapist, name="phone", confirmed=True)
    browser = HttpClient()
    browser.post(
        "/sign-in/",
        {"username": therapist.email, "password": TEST_PASSWORD, "next": "/meetings/"},
    )
    response = browser.post(
        "/account/two-factor/verify/", {"code": totp_code(device), "next": "/meetings/"}
    )
    assert response["Location"] == "/meetings/"
