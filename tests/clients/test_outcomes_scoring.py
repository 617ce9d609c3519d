"""Outcome instruments: published wording, scoring by hand and by property, and refusals.

Pure Python (no database): `clients.outcomes` touches no model.
"""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clients.outcomes import (
    BAM,
    DAY_BINS,
    FLAG_SELF_HARM,
    INSTRUMENTS,
    Instrument,
    Score,
    UnknownInstrumentError,
    band_for,
    instrument,
    score,
    summary,
)

PROPERTIES = settings(
    max_examples=200,
    deadline=None,
    # CI (CI=true) draws the same examples every run, so a red run is repeatable; at a desk
    # every run draws new ones (the same choice as tests/security/test_fuzz_forms.py).
    derandomize=bool(os.environ.get("CI")),
)


def answers(instrument_key: str, values: list[int | str]) -> dict[str, int | str]:
    """Responses in item order: the list is read against the instrument's items."""
    keys = INSTRUMENTS[instrument_key].item_keys
    assert len(values) == len(keys)
    return dict(zip(keys, values, strict=True))


def lowest(spec: Instrument) -> dict[str, int | str]:
    return {item.key: ("no" if item.kind == "yes_no" else item.min) for item in spec.items}


def with_total(instrument_key: str, total: int) -> dict[str, int | str]:
    """PHQ-9/GAD-7 responses adding up to `total`, filling items in order."""
    responses: dict[str, int | str] = {}
    left = total
    for item in INSTRUMENTS[instrument_key].items:
        responses[item.key] = min(item.max, left)
        left -= responses[item.key]
    assert left == 0
    return responses


def bam(**overrides: int | str) -> dict[str, int | str]:
    """A BAM with every answer at its lowest, then `i4=3`-style overrides (i7A for 7A)."""
    responses = lowest(BAM)
    for name, value in overrides.items():
        responses[name.removeprefix("i")] = value
    return responses


# --- The instruments as data ------------------------------------------------------------------


def test_the_five_instruments_are_registered_under_their_keys():
    assert list(INSTRUMENTS) == ["barc10", "bam", "readiness_ruler", "phq9", "gad7"]
    assert {key: len(spec.items) for key, spec in INSTRUMENTS.items()} == {
        "barc10": 10,
        "bam": 23,  # 17 items, item 7 asked in seven parts (7A-7G)
        "readiness_ruler": 2,
        "phq9": 9,
        "gad7": 7,
    }
    for key, spec in INSTRUMENTS.items():
        assert instrument(key) is spec
        assert spec.source and spec.name and spec.short_name


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        INSTRUMENTS["phq9"] = INSTRUMENTS["gad7"]  # type: ignore[index]


def test_unknown_instrument_is_both_a_key_error_and_a_value_error():
    with pytest.raises(KeyError):
        instrument("audit")
    with pytest.raises(ValueError, match="Unknown instrument 'audit'"):
        instrument("audit")
    assert issubclass(UnknownInstrumentError, KeyError)


@pytest.mark.parametrize("spec", INSTRUMENTS.values(), ids=list(INSTRUMENTS))
def test_scored_items_are_exactly_those_in_the_total_or_a_subscale(spec):
    counted = set(spec.total_items).union(*(sub.items for sub in spec.subscales))
    assert {item.key for item in spec.items if item.scored} == counted


@pytest.mark.parametrize("spec", INSTRUMENTS.values(), ids=list(INSTRUMENTS))
def test_series_ranges_follow_from_the_items(spec):
    # A chart axis that disagrees with what scoring can produce would mislead silently.
    def reach(keys):
        lows = sum(_min_points(spec.item(k)) for k in keys)
        highs = sum(_max_points(spec.item(k)) for k in keys)
        return lows, highs

    for series in spec.series:
        if series.key == "total":
            assert reach(spec.total_items) == (series.low, series.high)
        else:
            sub = next(sub for sub in spec.subscales if sub.key == series.key)
            assert reach(sub.items) == (series.low, series.high)
    assert {s.key for s in spec.series} == (
        {"total"} if spec.total_items else {sub.key for sub in spec.subscales}
    )


@pytest.mark.parametrize("spec", INSTRUMENTS.values(), ids=list(INSTRUMENTS))
def test_bands_tile_the_total_range_without_gaps(spec):
    if not spec.bands:
        return
    total = spec.series[0]
    assert spec.bands[0].low == total.low and spec.bands[-1].high == total.high
    for before, after in zip(spec.bands, spec.bands[1:], strict=False):
        assert after.low == before.high + 1


@pytest.mark.parametrize("spec", INSTRUMENTS.values(), ids=list(INSTRUMENTS))
def test_every_choice_item_offers_one_label_per_answer(spec):
    for item in spec.items:
        if item.kind in ("choice", "scale"):
            assert [value for value, _ in item.choices] == list(range(item.min, item.max + 1))
        elif item.kind == "yes_no":
            assert [value for value, _ in item.choices] == ["no", "yes"]
        else:
            assert item.choices == ()


def test_chart_metadata_says_which_direction_is_improvement():
    direction = {
        (key, s.key): s.higher_is_better for key, spec in INSTRUMENTS.items() for s in spec.series
    }
    assert direction == {
        ("barc10", "total"): True,
        ("bam", "use"): False,
        ("bam", "risk"): False,
        ("bam", "protective"): True,
        ("readiness_ruler", "importance"): True,
        ("readiness_ruler", "confidence"): True,
        ("phq9", "total"): False,
        ("gad7", "total"): False,
    }


def test_barc10_reference_line_is_the_validation_cut_off_not_a_band():
    spec = instrument("barc10")
    assert spec.reference_line == 47
    assert spec.reference_label.startswith("47: ")
    assert "sustained remission" in spec.reference_label
    assert spec.bands == ()


def test_published_wording_spot_checks():
    assert instrument("phq9").item("9").text == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert instrument("phq9").timeframe == "Over the last 2 weeks"
    assert [label for _, label in instrument("gad7").item("1").choices] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]
    assert instrument("barc10").item("1").text == (
        "There are more important things to me in life than using substances."
    )
    assert [label for _, label in instrument("barc10").item("1").choices][::5] == [
        "Strongly disagree",
        "Strongly agree",
    ]
    assert BAM.item("14").kind == "yes_no"
    assert {item.key for item in BAM.items if item.group} == {f"7{c}" for c in "ABCDEFG"}


# --- Hand-computed scores ---------------------------------------------------------------------


def test_barc10_totals_its_ten_answers():
    result = score("barc10", answers("barc10", [5, 4, 6, 3, 5, 4, 6, 5, 4, 6]))
    assert (result.total, result.subscales, result.band, result.flags) == (48, {}, None, [])
    assert isinstance(result, Score)
    assert summary("barc10", result) == "Total 48 of 60"


@pytest.mark.parametrize(("value", "total"), [(1, 10), (6, 60)])
def test_barc10_extremes(value, total):
    assert score("barc10", answers("barc10", [value] * 10)).total == total


def test_bam_worked_by_hand():
    # Days are binned (0 | 1-3 | 4-8 | 9-15 | 16-30 -> 0-4); ratings are their own points.
    responses = bam(
        i1=2,  # Good -> 2 risk
        i2=10,  # nights -> 3 risk
        i3=5,  # -> 2 risk
        i4=3,  # -> 1 use
        i5=0,  # -> 0 use
        i6=20,  # -> 4 use
        i7A=20,  # recorded, not scored
        i8=3,  # Considerably -> 3 risk
        i9=2,  # Moderately confident -> 2 protective
        i10=12,  # -> 3 protective
        i11=2,  # -> 1 risk
        i12=1,  # -> 1 protective
        i13=16,  # -> 4 protective
        i14="yes",  # -> 4 protective
        i15=1,  # -> 1 risk
        i16=30,  # -> 4 protective
        i17=2,  # recorded, not scored
    )
    result = score("bam", responses)
    assert result.total is None
    assert result.band is None
    assert result.flags == []
    assert result.subscales == {"use": 5, "risk": 12, "protective": 18}
    assert result.item_points["7A"] == 4 and result.item_points["17"] == 2
    assert summary("bam", result) == "Use 5 · Risk 12 · Protective 18"


def test_bam_at_its_extremes():
    low = score("bam", bam())
    assert low.subscales == {"use": 0, "risk": 0, "protective": 0}
    high = {item.key: ("yes" if item.kind == "yes_no" else item.max) for item in BAM.items}
    assert score("bam", high).subscales == {"use": 12, "risk": 24, "protective": 24}


@pytest.mark.parametrize(
    ("days", "points"),
    [(0, 0), (1, 1), (3, 1), (4, 2), (8, 2), (9, 3), (15, 3), (16, 4), (30, 4)],
)
def test_bam_day_bins(days, points):
    assert score("bam", bam(i4=days)).subscales["use"] == points
    assert score("bam", bam(i16=days)).subscales["protective"] == points


def test_day_bins_cover_every_day_once():
    covered = [day for first, last, _ in DAY_BINS for day in range(first, last + 1)]
    assert covered == list(range(31))


@pytest.mark.parametrize(("answer", "points"), [("yes", 4), ("no", 0)])
def test_bam_income_yes_scores_four_no_scores_zero(answer, points):
    result = score("bam", bam(i14=answer))
    assert result.subscales["protective"] == points
    assert result.item_points["14"] == points


@pytest.mark.parametrize("key", [f"7{c}" for c in "ABCDEFG"] + ["17"])
def test_bam_item_7_parts_and_item_17_are_recorded_but_move_no_subscale(key):
    base = bam(i4=5, i6=10, i9=3, i14="yes")
    changed = {**base, key: 4 if key == "17" else 30}
    assert score("bam", changed).subscales == score("bam", base).subscales
    assert score("bam", changed).item_points[key] == 4


@pytest.mark.parametrize("sub", BAM.subscales, ids=[sub.key for sub in BAM.subscales])
def test_no_bam_item_is_reverse_scored(sub):
    # The VA guide keys every item so that its top answer is "more" of its subscale (more
    # use, more risk, more protection): raising any item from lowest to highest raises it.
    for key in sub.items:
        item = BAM.item(key)
        top = "yes" if item.kind == "yes_no" else item.max
        assert score("bam", bam(**{f"i{key}": top})).subscales[sub.key] == 4


def test_readiness_ruler_keeps_importance_and_confidence_apart():
    result = score("readiness_ruler", {"importance": 8, "confidence": 3})
    assert result.total is None and result.band is None and result.flags == []
    assert result.subscales == {"importance": 8, "confidence": 3}
    assert summary("readiness_ruler", result) == "Importance 8 · Confidence 3"


def test_phq9_by_hand():
    result = score("phq9", answers("phq9", [2, 1, 2, 1, 2, 1, 2, 1, 0]))
    assert (result.total, result.band, result.flags) == (12, "Moderate", [])
    assert summary("phq9", result) == "Total 12 (Moderate)"


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Moderately severe"),
        (19, "Moderately severe"),
        (20, "Severe"),
        (27, "Severe"),
    ],
)
def test_phq9_band_edges(total, band):
    assert score("phq9", with_total("phq9", total)).band == band
    assert band_for("phq9", total) == band


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Severe"),
        (21, "Severe"),
    ],
)
def test_gad7_band_edges(total, band):
    result = score("gad7", with_total("gad7", total))
    assert (result.total, result.band) == (total, band)
    assert band_for("gad7", total) == band


def test_gad7_by_hand():
    result = score("gad7", answers("gad7", [3, 3, 2, 2, 1, 1, 0]))
    assert (result.total, result.band, result.flags) == (12, "Moderate", [])


@pytest.mark.parametrize("answer", [1, 2, 3])
def test_phq9_item_9_above_zero_flags_self_harm(answer):
    result = score("phq9", answers("phq9", [0] * 8 + [answer]))
    assert result.flags == [FLAG_SELF_HARM]
    assert result.band == "Minimal"  # the flag stands whatever the total
    assert summary("phq9", result) == f"Total {answer} (Minimal) · Item 9 above 0"


def test_phq9_item_9_at_zero_does_not_flag():
    assert score("phq9", answers("phq9", [3] * 8 + [0])).flags == []


def test_band_for_instruments_without_bands_is_none():
    assert band_for("barc10", 47) is None
    assert band_for("bam", 0) is None


@pytest.mark.parametrize("total", [-1, 28])
def test_band_for_refuses_a_total_outside_the_range(total):
    with pytest.raises(ValueError, match=f"Total {total} of PHQ-9 is outside 0-27"):
        band_for("phq9", total)


@pytest.mark.parametrize("total", ["12", 12.0, True])
def test_band_for_refuses_a_total_that_is_not_an_int(total):
    with pytest.raises(ValueError, match="is not a whole number"):
        band_for("phq9", total)


# --- Properties -------------------------------------------------------------------------------


def _min_points(item) -> int:
    return 0 if item.kind == "days" else item.min


def _max_points(item) -> int:
    return DAY_BINS[-1][2] if item.kind == "days" else item.max


def valid_responses(spec: Instrument) -> st.SearchStrategy[dict[str, int | str]]:
    return st.fixed_dictionaries(
        {
            item.key: (
                st.sampled_from(["no", "yes"])
                if item.kind == "yes_no"
                else st.integers(item.min, item.max)
            )
            for item in spec.items
        }
    )


any_instrument = st.sampled_from(list(INSTRUMENTS.values()))


@PROPERTIES
@given(st.data())
def test_totals_and_subscales_stay_within_their_series_ranges(data):
    spec = data.draw(any_instrument)
    result = score(spec.key, data.draw(valid_responses(spec)))
    values = {"total": result.total, **result.subscales}
    for series in spec.series:
        assert series.low <= values[series.key] <= series.high
    if spec.bands:
        assert result.band == band_for(spec.key, result.total)
    else:
        assert result.band is None
    assert (result.total is None) == (not spec.total_items)


@PROPERTIES
@given(st.data())
def test_raising_one_answer_never_lowers_the_total_or_any_subscale(data):
    spec = data.draw(any_instrument)
    before = data.draw(valid_responses(spec))
    item = data.draw(st.sampled_from(spec.items))
    # For a yes/no item "no" -> "yes" is the only way up ("yes" -> "yes" is no change).
    raised = "yes" if item.kind == "yes_no" else data.draw(st.integers(before[item.key], item.max))
    old, new = score(spec.key, before), score(spec.key, {**before, item.key: raised})
    if spec.total_items:
        assert new.total >= old.total
    for key, value in old.subscales.items():
        assert new.subscales[key] >= value


@PROPERTIES
@given(st.data())
def test_score_is_deterministic_and_ignores_answer_order(data):
    spec = data.draw(any_instrument)
    responses = data.draw(valid_responses(spec))
    shuffled = dict(data.draw(st.permutations(list(responses.items()))))
    assert score(spec.key, responses) == score(spec.key, responses) == score(spec.key, shuffled)


@PROPERTIES
@given(st.data())
def test_phq9_flags_exactly_when_item_9_is_above_zero(data):
    responses = data.draw(valid_responses(instrument("phq9")))
    flagged = FLAG_SELF_HARM in score("phq9", responses).flags
    assert flagged == (responses["9"] > 0)


# --- Refusals ---------------------------------------------------------------------------------


def test_missing_item_is_named():
    responses = answers("phq9", [1] * 9)
    del responses["7"]
    with pytest.raises(ValueError, match=r"^Item 7 of PHQ-9 is missing\.$"):
        score("phq9", responses)


def test_missing_bam_item_is_named():
    responses = bam()
    del responses["3"]
    with pytest.raises(ValueError, match=r"^Item 3 of BAM is missing\.$"):
        score("bam", responses)


def test_missing_bam_drug_part_is_named():
    responses = bam()
    del responses["7E"]
    with pytest.raises(ValueError, match=r"^Item 7E of BAM is missing\.$"):
        score("bam", responses)


def test_unknown_extra_item_is_named():
    with pytest.raises(ValueError, match=r"^Item 10 of PHQ-9 is not part of the instrument\.$"):
        score("phq9", {**answers("phq9", [0] * 9), "10": 1})


def test_non_string_item_key_is_an_unknown_item():
    with pytest.raises(ValueError, match="Item 1 of GAD-7 is not part of the instrument"):
        score("gad7", {1: 0, **answers("gad7", [0] * 7)})


def test_out_of_range_answer_is_named():
    with pytest.raises(ValueError, match=r"^Item 7 of PHQ-9: 4 is outside 0-3\.$"):
        score("phq9", {**answers("phq9", [0] * 9), "7": 4})


def test_seven_on_a_zero_to_four_item_is_refused():
    with pytest.raises(ValueError, match=r"^Item 8 of BAM: 7 is outside 0-4\.$"):
        score("bam", bam(i8=7))


@pytest.mark.parametrize(("key", "days"), [("2", 31), ("7A", 31), ("13", -1)])
def test_days_outside_thirty_are_refused(key, days):
    with pytest.raises(ValueError, match=rf"^Item {key} of BAM: {days} is outside 0-30\.$"):
        score("bam", bam(**{f"i{key}": days}))


def test_barc10_zero_is_below_its_scale():
    with pytest.raises(ValueError, match=r"^Item 4 of BARC-10: 0 is outside 1-6\.$"):
        score("barc10", {**answers("barc10", [3] * 10), "4": 0})


def test_readiness_above_ten_is_refused():
    with pytest.raises(ValueError, match=r"^Item confidence of Readiness ruler: 11 is outside"):
        score("readiness_ruler", {"importance": 5, "confidence": 11})


@pytest.mark.parametrize("value", ["3", 2.5, 3.0, None, True, False])
def test_a_numeric_item_takes_only_an_int(value):
    with pytest.raises(ValueError, match=rf"^Item 2 of GAD-7: {value!r} is not a whole number\."):
        score("gad7", {**answers("gad7", [0] * 7), "2": value})


def test_a_day_item_refuses_a_string():
    with pytest.raises(ValueError, match="Item 4 of BAM: '3' is not a whole number"):
        score("bam", bam(i4="3"))


@pytest.mark.parametrize("value", ["Yes", "y", 4, 1, True, None])
def test_bam_income_takes_only_yes_or_no(value):
    with pytest.raises(ValueError, match=rf"^Item 14 of BAM: {value!r} is not 'no' or 'yes'\.$"):
        score("bam", bam(i14=value))


def test_unknown_instrument_is_refused_by_score():
    with pytest.raises(ValueError, match="Unknown instrument 'phq8'"):
        score("phq8", {})


def test_responses_must_be_a_mapping():
    with pytest.raises(ValueError, match="Responses to PHQ-9 must be a mapping"):
        score("phq9", [0] * 9)  # type: ignore[arg-type]
