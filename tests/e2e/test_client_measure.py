"""A client answers a questionnaire from the link in their email, on a phone-sized screen."""

import datetime

import pytest
from django.utils import timezone

from clients.models import MeasureRequest, MeasureSource, OutcomeMeasure
from clients.outcomes import INSTRUMENTS
from clients.services.measure_requests import measure_request_send
from clients.tokens import Purpose, make_token
from tests.e2e.test_accessibility import assert_accessible
from tests.factories import ClientFactory

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package"
)
expect = sync_api.expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def bam_link(therapist):
    client = ClientFactory(
        primary_therapist=therapist,
        preferred_name="Riley",
        email_consent_at=timezone.now() - datetime.timedelta(days=1),
        email_consent_recorded_by=therapist,
        email_consent_text="I agree to emails.",
    )
    measure_request = measure_request_send(actor=therapist, client=client, instrument="bam")
    return f"/r/q/{make_token(Purpose.MEASURE, measure_request.reminder.pk)}/"


def answer_everything(page) -> None:
    for item in INSTRUMENTS["bam"].items:
        name = f"item_{item.key}"
        if item.kind == "days":
            page.locator(f'input[name="{name}"]').fill("2")
        elif item.kind == "yes_no":
            page.locator(f'input[name="{name}"][value="yes"]').check()
        else:
            page.locator(f'input[name="{name}"][value="1"]').check()


def test_a_client_completes_a_bam_on_a_phone(page, bam_link):
    page.set_viewport_size(PHONE)
    page.goto(bam_link)
    expect(page.get_by_role("heading", name="A few questions")).to_be_visible()
    # Phone-friendly: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)

    # A day count past 30 comes back with that item named, and nothing is stored.
    answer_everything(page)
    page.locator('input[name="item_2"]').fill("31")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("alert")).to_contain_text("2.")
    assert not OutcomeMeasure.objects.exists()
    assert_accessible(page)

    page.locator('input[name="item_2"]').fill("3")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert_accessible(page)

    measure = OutcomeMeasure.objects.get()
    assert measure.source == MeasureSource.CLIENT and measure.instrument == "bam"
    assert MeasureRequest.objects.get().completed_at is not None

    # The same link again: a calm page, nothing more stored.
    page.goto(bam_link)
    expect(page.get_by_role("heading", name="These questions are already answered")).to_be_visible()
    assert_accessible(page)
    assert OutcomeMeasure.objects.count() == 1
