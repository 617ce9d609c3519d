"""In Chromium: the therapist enters a BARC-10 and sees it scored and charted."""

import datetime

import pytest
from django.utils import timezone

from clients.models import MeasureSource, OutcomeMeasure
from clients.outcomes import instrument
from clients.services import outcome_measure_store
from tests.e2e.test_accessibility import assert_accessible

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package"
)
expect = sync_api.expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_therapist_enters_a_barc10_and_sees_the_chart(signed_in_page, client_record, therapist):
    # An earlier BARC-10, so the chart has a line and a change to report.
    outcome_measure_store(
        client=client_record,
        instrument="barc10",
        responses={str(n): 3 for n in range(1, 11)},
        administered_on=timezone.localdate() - datetime.timedelta(days=90),
        source=MeasureSource.THERAPIST,
        entered_by=therapist,
    )
    page = signed_in_page
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"/clients/{client_record.pk}/")
    page.get_by_role("link", name="Record a measure").click()
    page.get_by_role("link", name="Brief Assessment of Recovery Capital (BARC-10)").click()
    expect(page.get_by_role("heading", name="Brief Assessment of Recovery Capital")).to_be_visible()
    assert_accessible(page)

    spec = instrument("barc10")
    for item in spec.items:
        # Each item is a fieldset named by its question; answer "Agree" (5) on all but one.
        group = page.get_by_role("group", name=f"{item.number}. {item.text}")
        group.get_by_label("Strongly agree" if item.key == "10" else "Agree", exact=True).check()
    page.get_by_role("button", name="Record and score").click()

    expect(page.get_by_text("BARC-10 recorded: Total 51 of 60.")).to_be_visible()
    chart = page.locator("#outcome-chart-barc10")
    expect(chart).to_have_attribute("data-drawn", "true")
    expect(page.locator("#outcome-barc10")).to_contain_text("Total: +21 since the first (better)")
    page.locator("#outcome-barc10 summary").click()
    expect(page.locator("#outcome-barc10 table")).to_contain_text("51")
    assert_accessible(page)
    assert errors == []
    measure = OutcomeMeasure.objects.latest("id")
    assert (measure.total, measure.entered_by_id) == (51, therapist.pk)


def test_a_missed_question_keeps_the_other_answers(signed_in_page, client_record):
    page = signed_in_page
    page.goto(f"/clients/{client_record.pk}/measures/new/?instrument=gad7")
    spec = instrument("gad7")
    for item in spec.items[:-1]:
        page.get_by_role("group", name=f"{item.number}. {item.text}").get_by_label(
            "Several days"
        ).check()
    page.get_by_role("button", name="Record and score").click()
    last = page.get_by_role("group", name=f"7. {spec.items[-1].text}")
    expect(last).to_contain_text("This field is required.")
    expect(
        page.get_by_role("group", name=f"1. {spec.items[0].text}").get_by_label("Several days")
    ).to_be_checked()
    assert_accessible(page)
    assert not OutcomeMeasure.objects.exists()
