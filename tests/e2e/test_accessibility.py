"""axe-core on the pages a therapist uses every day: nothing serious or critical.

Minor and moderate findings are left to review; serious and critical ones (missing names,
contrast, broken ARIA) block keyboard and screen-reader users, so they fail the build.
"""

import datetime
import re

import pytest
from django.utils import timezone

from clients.models import AttendanceStatus, ReportedBy, ResistanceTheme
from clients.services import addendum_create, session_note_sign
from tests.factories import (
    AttendanceFactory,
    ClientFactory,
    LadderMoveFactory,
    MeetingPlanFactory,
    NoteThemeFactory,
    SessionNoteFactory,
)

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package"
)
axe_playwright = pytest.importorskip(
    "axe_playwright_python.sync_playwright",
    reason="accessibility tests need the axe-playwright-python package",
)
expect = sync_api.expect

pytestmark = [
    pytest.mark.e2e,
    # Themes and programs come from data migrations (see conftest).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BLOCKING_IMPACTS = {"serious", "critical"}
TARGETS_SHOWN = 3


def blocking_violations(page) -> list[dict]:
    results = axe_playwright.Axe().run(page)
    return [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict], page) -> str:
    """What a developer needs to find and fix each violation."""
    lines = [f"{len(violations)} serious or critical axe violation(s) on {page.url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" [{violation['helpUrl']}]"
        )
        for node in violation["nodes"][:TARGETS_SHOWN]:
            checks = node.get("any", []) + node.get("all", []) + node.get("none", [])
            why = f" — {checks[0]['message']}" if checks else ""
            lines.append(f"    {' >>> '.join(map(str, node['target']))}{why}")
        if len(violation["nodes"]) > TARGETS_SHOWN:
            lines.append(f"    … and {len(violation['nodes']) - TARGETS_SHOWN} more")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    violations = blocking_violations(page)
    assert not violations, describe(violations, page)


@pytest.fixture
def client_with_history(therapist, client_record):
    """Jordan after a few sessions: signed notes with themes, an addendum, a draft, ladder
    moves and a planned meeting with one attendance, so the chart and timeline render."""
    today = timezone.localdate()
    fear, practical, anxiety = (
        ResistanceTheme.objects.get(practice=None, slug=slug)
        for slug in ("fear-of-judgment", "practical-barriers", "social-anxiety")
    )
    for weeks_ago, themes in (
        (3, {fear: 3, anxiety: 2}),
        (2, {fear: 2, practical: 3}),
        (1, {fear: 1, practical: 2}),
    ):
        note = SessionNoteFactory(
            client=client_record, session_date=today - datetime.timedelta(weeks=weeks_ago)
        )
        for theme, intensity in themes.items():
            NoteThemeFactory(note=note, theme=theme, intensity=intensity)
        # Themes go on a draft; signing freezes them.
        note = session_note_sign(actor=therapist, note=note)
    addendum_create(actor=therapist, note=note, text="Bus route changed.")
    SessionNoteFactory(client=client_record, session_date=today)
    LadderMoveFactory(client=client_record, step=1, reached_on=today - datetime.timedelta(days=20))
    LadderMoveFactory(client=client_record, step=2, reached_on=today - datetime.timedelta(days=6))
    plan = MeetingPlanFactory(client=client_record, starts_on=today - datetime.timedelta(days=10))
    AttendanceFactory(
        plan=plan,
        occurrence_start=timezone.now() - datetime.timedelta(days=3),
        status=AttendanceStatus.ATTENDED,
        reported_by=ReportedBy.THERAPIST,
        reported_by_user=therapist,
        reported_at=timezone.now(),
    )
    return client_record


def test_sign_in_page_has_no_serious_accessibility_violations(page):
    page.goto("/sign-in/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_accessible(page)

    # The same page showing an error.
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(re.compile(r"Please enter a correct .* and password"))).to_be_visible()
    assert_accessible(page)


def test_caseload_has_no_serious_accessibility_violations(
    signed_in_page, client_with_history, therapist
):
    ClientFactory(primary_therapist=therapist, preferred_name="Sam")
    page = signed_in_page
    page.goto("/clients/")
    expect(page.get_by_role("link", name="Jordan")).to_be_visible()
    expect(page.get_by_role("link", name="Sam")).to_be_visible()
    assert_accessible(page)


def test_client_page_has_no_serious_accessibility_violations(signed_in_page, client_with_history):
    page = signed_in_page
    page.goto(f"/clients/{client_with_history.pk}/")
    expect(page.locator("#theme-chart[data-drawn=true]")).to_be_attached()
    for kind in ("note", "addendum", "ladder", "plan", "attendance"):
        expect(page.locator(f"#timeline .timeline-item[data-kind={kind}]").first).to_be_visible()
    page.get_by_text("Show the figures as a table").click()
    expect(page.get_by_role("table", name="Intensity of each theme")).to_be_visible()
    assert_accessible(page)


def test_new_note_page_with_a_theme_tagged_has_no_serious_accessibility_violations(
    signed_in_page, client_record
):
    page = signed_in_page
    page.goto(f"/clients/{client_record.pk}/notes/new/")
    page.locator("#theme-fields").get_by_label("Fear of judgment or labels").select_option("2")
    expect(page.locator("#theme-suggestions .theme-suggestion")).to_have_count(1)
    assert_accessible(page)
