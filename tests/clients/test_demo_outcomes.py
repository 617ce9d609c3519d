"""The demo practice's outcome measure histories: every instrument, scored by the code."""

import io

import pytest
from django.core.management import call_command

from clients.models import MeasureSource, OutcomeMeasure
from clients.outcomes import INSTRUMENTS, score

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("development")]


def test_the_demo_has_histories_of_every_instrument_scored_by_the_code():
    call_command("seed_demo", stdout=io.StringIO())
    measures = list(OutcomeMeasure.objects.all())
    assert {m.instrument for m in measures} == set(INSTRUMENTS)
    for measure in measures:
        result = score(measure.instrument, measure.responses)
        assert (result.total, result.subscales, result.band or "", bool(result.flags)) == (
            measure.total,
            measure.subscales,
            measure.band,
            measure.safety_flag,
        )
    assert any(m.source == MeasureSource.CLIENT and m.request_id for m in measures)
    count = len(measures)
    call_command("seed_demo", stdout=io.StringIO())
    assert OutcomeMeasure.objects.count() == count
