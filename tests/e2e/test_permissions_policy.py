"""The Permissions-Policy header in a real browser: Chromium knows every feature it names, so
signed-in pages log no "Unrecognized feature" warning to the console."""

import pytest
from django.conf import settings as django_settings

from tests.factories import NoteThemeFactory, SessionNoteFactory

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package"
)
expect = sync_api.expect

pytestmark = [
    pytest.mark.e2e,
    # The client page tags a curated theme, which a migration seeds (see conftest).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def policy_warnings(page):
    """Console messages about the Permissions-Policy header, on every page the tab visits."""
    seen: list[str] = []

    def on_console(message):
        if "Permissions-Policy" in message.text or "Unrecognized feature" in message.text:
            seen.append(f"{message.type} on {page.url}: {message.text}")

    page.on("console", on_console)
    return seen


def test_signed_in_pages_log_no_permissions_policy_warning(
    page, sign_in, therapist, client_record, policy_warnings
):
    NoteThemeFactory(note=SessionNoteFactory(client=client_record))
    sign_in(therapist)
    for path in ("/clients/", f"/clients/{client_record.pk}/", "/meetings/"):
        page.goto(path)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert policy_warnings == []


def test_the_console_check_sees_a_feature_chromium_does_not_know(
    page, sign_in, therapist, settings, policy_warnings
):
    # Without this, the test above would pass as well if the browser's warnings never
    # reached the console listener.
    unknown = "ambient-light-sensor"  # in the spec's list, not in Chromium's
    settings.PERMISSIONS_POLICY = {**django_settings.PERMISSIONS_POLICY, unknown: []}
    sign_in(therapist)
    page.goto("/clients/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert any(f"Unrecognized feature: '{unknown}'" in warning for warning in policy_warnings), (
        policy_warnings
    )
