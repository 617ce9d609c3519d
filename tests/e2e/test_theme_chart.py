"""The theme chart on the client's page in a real browser: one readable date per session, and
a legend whose long theme names wrap instead of being cut off on a narrow screen."""

import datetime

import pytest

from clients.models import ResistanceTheme
from tests.factories import NoteThemeFactory, SessionNoteFactory

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package"
)
expect = sync_api.expect

pytestmark = [
    pytest.mark.e2e,
    # The chart tags the curated themes a migration seeds (see conftest).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_theme_chart_has_readable_dates_and_a_legend_that_wraps(
    page, sign_in, therapist, client_record
):
    themes = list(ResistanceTheme.objects.filter(practice=None).order_by("position"))
    day = datetime.date(2026, 11, 3)
    # Two notes of one session, between them tagging every theme (long names included).
    first = SessionNoteFactory(client=client_record, session_date=day)
    second = SessionNoteFactory(client=client_record, session_date=day)
    for index, theme in enumerate(themes):
        NoteThemeFactory(note=first if index % 2 else second, theme=theme, intensity=2)
    longest = max(themes, key=lambda theme: len(theme.name)).name

    sign_in(therapist)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/clients/{client_record.pk}/")
    expect(page.locator("#theme-chart")).to_have_attribute("data-drawn", "true")

    legend = page.locator(".theme-chart-legend")
    expect(legend.get_by_role("button")).to_have_count(len(themes))
    entry = legend.get_by_role("button", name=longest)
    expect(entry).to_be_visible()
    # The whole name shows: nothing overflows its entry, and no entry runs past the page.
    assert entry.evaluate("el => el.scrollWidth <= el.clientWidth")
    box = entry.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375

    # Choosing an entry hides its line, and says so.
    entry.click()
    expect(entry).to_have_attribute("aria-pressed", "false")

    # The table of figures has one column for the session, under a readable date.
    page.get_by_text("Show the figures as a table").click()
    headers = page.locator("#themes-heading ~ details thead th")
    expect(headers).to_have_text(["Theme", "3 Nov 2026"])
