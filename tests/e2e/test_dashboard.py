"""A practice manager's dashboard in a real browser: charts draw, a CSV downloads and parses,
and axe finds nothing serious."""

import csv
import io

import pytest
from django.utils import timezone

from tests.e2e.test_accessibility import blocking_violations, describe
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
expect = sync_api.expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def practice_with_history(therapist):
    for name in ("Ana", "Ben", "=Cy"):
        client = ClientFactory(primary_therapist=therapist, preferred_name=name)
        NoteThemeFactory(note=SessionNoteFactory(client=client, lapse_reported=True))
        LadderMoveFactory(client=client, step=2)
        AttendanceFactory(
            plan=MeetingPlanFactory(client=client),
            occurrence_start=timezone.now() - timezone.timedelta(days=3),
            status="attended",
            reported_by="therapist",
            reported_by_user=therapist,
            reported_at=timezone.now(),
        )


def test_manager_sees_charts_and_downloads_a_csv(sign_in, manager, practice_with_history):
    page = sign_in(manager)
    page.goto("/")
    expect(page).to_have_url("/clients/dashboard/")
    for chart in ("chart-funnel", "chart-attendance", "chart-themes"):
        expect(page.locator(f"#{chart}")).to_have_attribute("data-drawn", "true")
    expect(page.locator("#table-drifting")).to_contain_text("lapse flagged")

    with page.expect_download() as download_info:
        page.locator("#drift-heading").locator("xpath=..").get_by_role(
            "link", name="Download CSV"
        ).click()
    with open(download_info.value.path(), encoding="utf-8") as downloaded:
        rows = list(csv.reader(io.StringIO(downloaded.read())))
    assert rows[0] == ["client", "therapist", "last session", "why"]
    names = {row[0] for row in rows[1:]}
    assert {"Ana", "Ben", "'=Cy"} <= names  # the formula-looking name is neutralised

    violations = blocking_violations(page)
    assert not violations, describe(violations, page)
