"""An admin's record pages and a manager's audit trail in a real browser: the printable export
carries the Part 2 notice and loads its own styles under the CSP, an erasure request restricts
the record, the audit CSV downloads and parses, and axe finds nothing serious."""

import csv
import io

import pytest

from clients.models import Disclosure
from tests.e2e.test_accessibility import assert_accessible
from tests.factories import SessionNoteFactory

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package"
)
expect = sync_api.expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def refusals(page):
    """What the Content Security Policy refused on the pages the tab visits."""
    seen: list[str] = []

    def on_console(message):
        if "Content Security Policy" in message.text or message.text.startswith("Refused to"):
            seen.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return seen


def test_admin_exports_a_printable_record_then_records_an_erasure_request(
    page, sign_in, practice_admin, client_record, refusals
):
    SessionNoteFactory(client=client_record, sections={"data": "Spoke about a first meeting."})
    sign_in(practice_admin)
    page.goto(f"/clients/{client_record.pk}/")

    page.get_by_role("link", name="Export the record").click()
    expect(page.locator("#part2-notice")).to_contain_text("42 CFR part 2")
    assert_accessible(page)
    page.get_by_label("To whom").fill("Dr. Lee, Riverside Treatment Center")
    page.get_by_label("Why").fill("Continuity of care, with the client's written consent.")
    page.get_by_label("Printable page").check()
    page.get_by_role("button", name="Record the disclosure and export").click()

    expect(page.get_by_role("heading", name="Client record: Jordan")).to_be_visible()
    expect(page.locator("#part2-notice")).to_contain_text("protected by Federal confidentiality")
    expect(page.get_by_text("Spoke about a first meeting.")).to_be_visible()
    # print.css applied: the notice has its border, and the screen-only line hides in print.
    # (Retried: the heading can be laid out before the stylesheet has arrived.)
    expect(page.locator("#part2-notice")).to_have_css("border-top-width", "2px")
    page.emulate_media(media="print")
    expect(page.locator(".screen-only")).to_be_hidden()
    page.emulate_media(media="screen")
    assert_accessible(page)
    # A refresh shows the same disclosure again: nothing is posted or recorded twice.
    page.reload()
    expect(page.get_by_role("heading", name="Client record: Jordan")).to_be_visible()
    assert Disclosure.objects.filter(client=client_record, format="html").count() == 1

    page.get_by_role("link", name="Back to the disclosures").click()
    expect(page.locator("#disclosures")).to_contain_text("Riverside Treatment Center")
    assert_accessible(page)

    page.goto(f"/clients/{client_record.pk}/")
    page.get_by_role("link", name="Erasure request").click()
    assert_accessible(page)
    page.get_by_label("Discharge the client").check()
    page.get_by_role("button", name="Restrict the record").click()
    expect(page.locator("#restricted-badge")).to_be_visible()
    client_record.refresh_from_db()
    assert client_record.is_restricted and client_record.contact_email == ""
    assert refusals == []


def test_manager_filters_the_audit_trail_and_downloads_it(
    page, sign_in, manager, therapist, client_record, refusals
):
    from recovery.models import AuditAction
    from recovery.services import audit

    audit(action=AuditAction.VIEW, actor=therapist, client=client_record)
    sign_in(manager)

    page.get_by_role("link", name="Audit trail").click()
    page.get_by_label("Client").fill("jor")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit-events")).to_contain_text("Dana Owner")
    expect(page.locator("#audit-events")).to_contain_text("Jordan")
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    with open(download_info.value.path(), encoding="utf-8") as downloaded:
        rows = list(csv.DictReader(io.StringIO(downloaded.read())))
    assert {(row["Who"], row["Action"], row["Client"]) for row in rows} >= {
        ("Dana Owner", "Viewed", "Jordan")
    }
    assert {row["Client"] for row in rows} == {"Jordan"}
    assert refusals == []
