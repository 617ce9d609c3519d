"""The Content Security Policy in a real browser: the main pages load without a single refused
script, style or image, the charts still draw, htmx and Bootstrap still work, and a client's
reminder link still records an answer."""

import datetime
import logging
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from clients.models import Attendance, AttendanceStatus, Reminder, ReminderKind
from clients.tokens import Purpose, make_token
from tests.factories import (
    ClientFactory,
    MeetingFactory,
    MeetingPlanFactory,
    NoteThemeFactory,
    SessionNoteFactory,
)

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package"
)
expect = sync_api.expect

pytestmark = [
    pytest.mark.e2e,
    # Meetings need the seeded programs, the note form the seeded themes (see conftest).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Runs before any page script (Playwright's init scripts are not subject to the page's CSP):
# every violation the browser reports to the page is kept for the test to read.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def violations(page):
    """Every CSP violation on any page the tab visits: console messages and DOM events."""
    seen: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)

    def on_console(message):
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to"):
            seen.append(f"console on {page.url}: {text}")

    page.on("console", on_console)

    def check():
        """Collect the current document's events, then return everything seen so far."""
        events = page.evaluate("window.__cspViolations || []")
        return seen + [f"event on {page.url}: {event}" for event in events]

    return check


@pytest.fixture
def caseload(therapist, client_record):
    note = SessionNoteFactory(client=client_record)
    NoteThemeFactory(note=note)  # the client page draws its theme chart from this
    MeetingFactory(name="Harbor Light Online Group", attendance_option="online")
    return client_record


def test_staff_pages_load_under_the_policy_with_charts_htmx_and_bootstrap(
    page, sign_in, therapist, manager, caseload, violations
):
    sign_in(therapist)
    assert violations() == [], "sign-in"

    page.goto("/clients/")
    expect(page.get_by_role("link", name=caseload.preferred_name)).to_be_visible()
    assert violations() == [], "caseload"

    page.goto(f"/clients/{caseload.pk}/")
    expect(page.locator("#theme-chart")).to_have_attribute("data-drawn", "true")
    assert violations() == [], "client page"

    # The note form: htmx swaps the section boxes when the format changes.
    page.goto(f"/clients/{caseload.pk}/notes/new/")
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Format").select_option(label="SOAP")
    expect(page.locator("#note-sections").get_by_label("Subjective", exact=True)).to_be_visible()
    assert page.evaluate("window.__sameDocument === true"), "htmx did not swap in place"
    assert violations() == [], "note form"

    # The meeting search: htmx replaces the results as the filters change and pushes the URL.
    page.goto("/meetings/")
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Search").fill("no meeting has this name")
    expect(page.locator("#meeting-results")).to_contain_text("No meeting matches")
    expect(page).to_have_url(re.compile(r"/meetings/\?q=no%20meeting%20has%20this%20name"))
    assert page.evaluate("window.__sameDocument === true")
    # Back: htmx keeps no copy of the page, so it reloads the earlier address in full.
    page.go_back()
    expect(page.locator("#meeting-results")).to_contain_text("Harbor Light Online Group")
    expect(page.get_by_role("heading", name="Meeting catalogue")).to_be_visible()
    assert violations() == [], "meeting search"

    # Bootstrap's JavaScript: below 992 px the navigation collapses behind a toggler.
    page.set_viewport_size({"width": 800, "height": 900})
    expect(page.get_by_role("link", name="My caseload")).to_be_hidden()
    page.get_by_role("button", name="Toggle navigation").click()
    expect(page.get_by_role("link", name="My caseload")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 900})
    assert violations() == [], "navigation"

    page.get_by_role("button", name="Sign out").click()
    sign_in(manager)
    page.goto("/clients/dashboard/")
    for chart in ("chart-funnel", "chart-attendance", "chart-themes"):
        expect(page.locator(f"#{chart}")).to_have_attribute("data-drawn", "true")
    assert violations() == [], "dashboard"


def test_a_reminder_link_still_records_an_answer(page, therapist, violations):
    # The reminder pages send no referrer (their address holds the token); the browser then
    # sends "Origin: null" on the answer form's POST unless the CSRF check still passes.
    client = ClientFactory(
        primary_therapist=therapist,
        email_consent_at=timezone.now(),
        email_consent_recorded_by=therapist,
        email_consent_text="I agree to receive reminder emails.",
    )
    plan = MeetingPlanFactory(client=client, meeting=MeetingFactory())
    start = timezone.now() - datetime.timedelta(hours=3)
    reminder = Reminder.objects.create(
        plan=plan, occurrence_start=start, kind=ReminderKind.CHECKIN, due_at=start
    )

    page.goto(f"/r/a/{make_token(Purpose.ANSWER, reminder.pk)}/?answer=attended")
    page.get_by_role("button", name="I went").click()
    expect(page.get_by_role("heading", name="Thank you for telling us")).to_be_visible()
    assert Attendance.objects.get(plan=plan).status == AttendanceStatus.ATTENDED
    assert violations() == []


def test_chromium_reports_a_blocked_resource_to_the_report_address(
    page, sign_in, therapist, caseload, violations, caplog
):
    caplog.set_level(logging.WARNING, logger="recovery.csp")
    cache.clear()  # an identical report logged by an earlier test would be held back
    sign_in(therapist)
    page.goto(f"/clients/{caseload.pk}/")
    # What an injected tag would try: load from another site. The policy blocks it, and the
    # browser posts a report that the server logs by page name and origin alone.
    with page.expect_response(lambda response: "/csp-report/" in response.url) as report:
        page.evaluate(
            """document.body.insertAdjacentHTML(
                "beforeend", '<img alt="" src="https://blocked.example/pixel.png?who=someone">')"""
        )
    assert report.value.status == 204
    assert any("img-src" in line for line in violations())
    lines = [r.getMessage() for r in caplog.records if r.name == "recovery.csp"]
    assert lines == [
        "Content Security Policy violation: img-src blocked https://blocked.example "
        "on clients:detail (enforced)"
    ]
