"""The therapist enters outcome measures on the client's page and sees them charted."""

import datetime
import json
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import MeasureSource, OutcomeMeasure
from clients.outcomes import INSTRUMENTS
from clients.services import outcome_measure_store
from clients.services.records import client_restrict
from recovery.models import AuditAction, AuditEvent
from tests.factories import ClientFactory

NOW = datetime.datetime(2026, 11, 24, 15, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 24)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def new_url(client, instrument: str | None = None) -> str:
    url = reverse("clients:measure_new", args=[client.pk])
    return f"{url}?instrument={instrument}" if instrument else url


def barc10_post(answers: list[int], day: datetime.date = TODAY) -> dict:
    data = {"instrument": "barc10", "administered_on": day.isoformat()}
    data.update({f"item_{n}": str(answer) for n, answer in enumerate(answers, start=1)})
    return data


def store(client, instrument: str, responses: dict, day: datetime.date, **extra):
    return outcome_measure_store(
        client=client,
        instrument=instrument,
        responses=responses,
        administered_on=day,
        source=MeasureSource.THERAPIST,
        entered_by=client.primary_therapist,
        **extra,
    )


def phq9(item9: int, others: int) -> dict:
    return {**{str(n): others for n in range(1, 9)}, "9": item9}


def test_the_chooser_lists_every_instrument(as_user, therapist, client_record):
    page = as_user(therapist).get(new_url(client_record))
    assert page.status_code == 200
    for spec in INSTRUMENTS.values():
        assert spec.name in page.content.decode()
        assert f"instrument={spec.key}" in page.content.decode()


def test_the_form_asks_every_item_as_published(as_user, therapist, client_record):
    page = as_user(therapist).get(new_url(client_record, "bam")).content.decode()
    for item in INSTRUMENTS["bam"].items:
        assert f'name="item_{item.key}"' in page
    assert "In the past 30 days, how many days did you use any of the following drugs" in page
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, client_id=client_record.pk).exists()


def test_the_form_names_a_client_ending_in_an_initial_with_one_period(
    as_user, therapist, client_record
):
    client_record.preferred_name = "Theo B."
    client_record.save()
    page = as_user(therapist).get(new_url(client_record, "bam")).content.decode()
    assert "For Theo B. " in page
    assert "Theo B.." not in page


def test_therapist_records_a_barc10_scored_by_code_encrypted_and_audited(
    as_user, therapist, client_record
):
    browser = as_user(therapist)
    response = browser.post(new_url(client_record), barc10_post([5] * 9 + [3]), follow=True)
    assert response.status_code == 200
    assert "BARC-10 recorded: Total 48 of 60." in response.content.decode()
    measure = OutcomeMeasure.objects.get()
    assert (measure.total, measure.source, measure.entered_by) == (48, "therapist", therapist)
    assert measure.responses == {str(n): 5 for n in range(1, 10)} | {"10": 3}
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, client_id=client_record.pk, actor=therapist
    ).exists()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT responses FROM clients_outcomemeasure")
            [(raw,)] = cursor.fetchall()
        assert '"1"' not in raw and raw.startswith("gAAAAA")


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("item_3", "", "This field is required."),
        ("item_3", "7", "Select a valid choice."),
        ("item_3", "three", "Select a valid choice."),
    ],
)
def test_a_bad_answer_is_refused_with_the_item_named_and_nothing_saved(
    as_user, therapist, client_record, field, value, error
):
    data = {**barc10_post([4] * 10), field: value}
    response = as_user(therapist).post(new_url(client_record), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert error in page
    # The error sits by item 3, and every other answer is still filled in.
    assert 'id="error_1_id_item_3"' in page
    assert len(re.findall(r'value="4"[^>]*checked', page)) == 9
    assert OutcomeMeasure.objects.count() == 0


def test_bam_days_out_of_range_are_refused(as_user, therapist, client_record):
    data = {"instrument": "bam", "administered_on": TODAY.isoformat(), "item_2": "31"}
    page = as_user(therapist).post(new_url(client_record), data).content.decode()
    assert "Ensure this value is less than or equal to 30." in page
    assert OutcomeMeasure.objects.count() == 0


def test_a_future_date_and_an_unknown_instrument_are_refused(as_user, therapist, client_record):
    browser = as_user(therapist)
    later = TODAY + datetime.timedelta(days=5)
    response = browser.post(new_url(client_record), barc10_post([4] * 10, later))
    assert response.status_code == 400
    assert "The date cannot be in the future." in response.content.decode()
    response = browser.post(new_url(client_record), {**barc10_post([4] * 10), "instrument": "x"})
    assert response.status_code == 400
    assert OutcomeMeasure.objects.count() == 0


def test_a_restricted_record_takes_no_measure(as_user, therapist, practice_admin, client_record):
    client_restrict(actor=practice_admin, client=client_record, requested_on=TODAY)
    browser = as_user(therapist)
    assert (
        "Record a measure"
        not in browser.get(reverse("clients:detail", args=[client_record.pk])).content.decode()
    )
    response = browser.post(new_url(client_record), barc10_post([4] * 10))
    assert response.status_code == 400
    assert "restricted" in response.content.decode()
    assert OutcomeMeasure.objects.count() == 0


def test_only_the_clients_therapist_enters_or_reads_answers(
    as_user, colleague, manager, outsider, client_record
):
    measure = store(client_record, "barc10", {str(n): 4 for n in range(1, 11)}, TODAY)
    detail = reverse("clients:measure", args=[client_record.pk, measure.pk])
    for user in (colleague, manager, outsider):
        browser = as_user(user)
        assert browser.get(new_url(client_record, "barc10")).status_code == 404
        assert browser.post(new_url(client_record), barc10_post([4] * 10)).status_code == 404
        assert browser.get(detail).status_code == 404
    assert OutcomeMeasure.objects.count() == 1


def test_a_measure_of_another_client_is_404(as_user, therapist, client_record):
    other = ClientFactory(practice=client_record.practice, primary_therapist=therapist)
    measure = store(other, "barc10", {str(n): 4 for n in range(1, 11)}, TODAY)
    url = reverse("clients:measure", args=[client_record.pk, measure.pk])
    assert as_user(therapist).get(url).status_code == 404


def test_the_answers_page_shows_each_answer_and_is_audited(as_user, therapist, client_record):
    measure = store(client_record, "phq9", phq9(item9=1, others=2), TODAY)
    url = reverse("clients:measure", args=[client_record.pk, measure.pk])
    page = as_user(therapist).get(url).content.decode()
    assert "17 (Moderately severe)" in page
    assert "More than half the days" in page and "Several days" in page
    assert 'id="safety-flag"' in page
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, client_id=client_record.pk, object_id=str(measure.pk)
    ).exists()


def test_client_page_charts_each_instrument_with_change_since_the_first(
    as_user, therapist, client_record
):
    store(
        client_record, "barc10", {str(n): 3 for n in range(1, 11)}, TODAY - datetime.timedelta(90)
    )
    store(client_record, "barc10", {str(n): 5 for n in range(1, 11)}, TODAY)
    store(client_record, "readiness_ruler", {"importance": 8, "confidence": 3}, TODAY)
    page = as_user(therapist).get(reverse("clients:detail", args=[client_record.pk]))
    html = page.content.decode()
    charts = {chart["key"]: chart for chart in page.context["outcome_charts"]}
    assert list(charts) == ["barc10", "readiness_ruler"]
    barc = charts["barc10"]
    assert barc["data"]["series"] == [{"label": "Total", "values": [30, 50]}]
    assert barc["data"]["reference"]["value"] == 47
    assert barc["series"][0]["change"] == 20 and barc["series"][0]["better"] is True
    assert "Total: +20 since the first (better)" in html
    ruler = charts["readiness_ruler"]["data"]["series"]
    assert [line["label"] for line in ruler] == ["Importance", "Confidence"]
    assert "One measure so far." in html
    embedded = json.loads(
        html.split('id="outcome-data-barc10" type="application/json">')[1].split("</script>")[0]
    )
    assert embedded["labels"] == [str(TODAY - datetime.timedelta(90)), str(TODAY)]
    assert "js/outcome-charts" in html


def test_phq9_safety_flag_shows_on_the_caseload_and_client_page_until_a_later_phq9(
    as_user, therapist, client_record
):
    browser = as_user(therapist)
    caseload = reverse("clients:caseload")
    detail = reverse("clients:detail", args=[client_record.pk])
    store(client_record, "phq9", phq9(item9=2, others=1), TODAY - datetime.timedelta(14))
    assert "Safety flag" in browser.get(caseload).content.decode()
    assert 'id="safety-flag"' in browser.get(detail).content.decode()
    store(client_record, "phq9", phq9(item9=0, others=1), TODAY)
    assert "Safety flag</span>" not in browser.get(caseload).content.decode()
    page = browser.get(detail).content.decode()
    assert 'id="safety-flag"' not in page
    # The history keeps it, marked in the table.
    assert "Safety flag" in page


def test_the_entered_column_says_by_the_client(as_user, therapist, client_record):
    from clients.models import MeasureRequest

    request = MeasureRequest.objects.create(
        client=client_record,
        instrument="gad7",
        requested_by=therapist,
        expires_at=NOW + datetime.timedelta(days=7),
    )
    outcome_measure_store(
        client=client_record,
        instrument="gad7",
        responses={str(n): 1 for n in range(1, 8)},
        administered_on=TODAY,
        source=MeasureSource.CLIENT,
        measure_request=request,
    )
    page = as_user(therapist).get(reverse("clients:detail", args=[client_record.pk]))
    assert "By the client" in page.content.decode()


def test_client_page_query_count_does_not_grow_with_measures(as_user, therapist, client_record):
    browser = as_user(therapist)
    url = reverse("clients:detail", args=[client_record.pk])
    counts = []
    for extra in (1, 30):
        for day in range(extra):
            store(
                client_record,
                "gad7",
                {str(n): 1 for n in range(1, 8)},
                TODAY - datetime.timedelta(day),
            )
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
