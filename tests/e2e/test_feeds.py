"""In Chromium: a practice admin adds a feed by uploading a file, reads its report, recommends a
meeting and publishes the list; every page axe-core clean."""

from pathlib import Path

import pytest

from groups.models import Feed, Meeting
from recovery.celery import app as celery_app
from tests.e2e.test_accessibility import assert_accessible

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")
expect = sync_api.expect

pytestmark = [
    pytest.mark.e2e,
    # Programs come from a data migration (see conftest).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TRICKY = Path(__file__).resolve().parents[1] / "groups" / "fixtures" / "meeting_guide_tricky.json"


@pytest.fixture(autouse=True)
def _eager_tasks(monkeypatch):
    # The live server runs the queued import when its request commits, as a worker would.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


def test_an_admin_uploads_a_feed_reads_its_report_and_publishes_a_list(sign_in, practice_admin):
    page = sign_in(practice_admin)

    page.get_by_role("link", name="Feeds").click()
    expect(page.get_by_text("Your practice has no feeds yet.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Add a feed").click()
    page.get_by_label("Name").fill("Tri-County Intergroup")
    page.get_by_label("Format").select_option("meeting-guide")
    page.get_by_label("Or upload a file").set_input_files(str(TRICKY))
    page.get_by_label("Time zone").select_option("America/Los_Angeles")
    assert_accessible(page)
    page.get_by_role("button", name="Save and import").click()

    expect(page.get_by_role("heading", name="Tri-County Intergroup")).to_be_visible()
    counts = page.locator("#report-counts")
    expect(counts).to_contain_text("9 created")
    expect(counts).to_contain_text("7 rejected")
    expect(page.get_by_role("cell", name="eighth-day")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Warnings").click()
    expect(page.get_by_role("region", name="Warnings")).to_be_visible()

    feed = Feed.objects.get(name="Tri-County Intergroup")
    meeting = Meeting.objects.filter(feed=feed, is_active=True).order_by("name").first()
    page.goto(f"/meetings/{meeting.pk}/")
    page.get_by_role("button", name="Recommend").click()
    expect(page.get_by_text("Recommended by your practice")).to_be_visible()
    page.get_by_role("link", name="Your recommended list").click()
    expect(page.get_by_role("link", name=meeting.name)).to_be_visible()
    page.get_by_label("Short name in the address").fill("tri-county-list")
    page.get_by_label("Publish the list").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your list is published.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="public page").click()
    expect(page.get_by_text(meeting.name)).to_be_visible()
    alternate = page.locator('link[rel="alternate"][type="application/json"]')
    assert alternate.get_attribute("title") == "Meetings Feed"
    assert_accessible(page)
    feed_json = page.request.get(alternate.get_attribute("href")).json()
    assert [record["name"] for record in feed_json] == [meeting.name]
