"""Scoring: raw answers in, a `Score` out, with every refusal naming the item at fault.

Pure Python on purpose: the instruments are data (`clients.outcomes.instruments`), and this
module only reads them, so a form, a chart and a test all see the same rules.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from clients.outcomes.instruments import instrument
from clients.outcomes.spec import DAY_BINS, Answer, Instrument, Item


@dataclass(frozen=True)
class Score:
    """The outcome of one administration.

    `total` is None for instruments without one (BAM, readiness ruler). `item_points` holds
    each item's points (BAM days binned, item 14 yes as 4), for the item-level review the
    BAM guidelines ask for; unscored items appear there too but count toward nothing.
    """

    total: int | None
    subscales: dict[str, int]
    band: str | None
    flags: list[str]
    item_points: dict[str, int] = field(default_factory=dict)


def score(instrument_key: str, responses: Mapping[str, Answer]) -> Score:
    """Score `responses` (item key -> raw answer as a form records it) on an instrument.

    Numeric items take an int and nothing else: not a bool, a float or a string of digits,
    since forms clean their input to int and anything else means a caller bug that should
    not be scored quietly. Yes/no items take exactly "yes" or "no". A missing item, an item
    the instrument does not have, or an answer out of range raises ValueError naming it.
    """
    spec = instrument(instrument_key)
    if not isinstance(responses, Mapping):
        raise ValueError(f"Responses to {spec.short_name} must be a mapping of item to answer.")

    known = set(spec.item_keys)
    for key in responses:
        if key not in known:
            raise ValueError(f"Item {key} of {spec.short_name} is not part of the instrument.")

    points: dict[str, int] = {}
    for item in spec.items:
        if item.key not in responses:
            raise ValueError(f"Item {item.key} of {spec.short_name} is missing.")
        points[item.key] = _points(spec, item, responses[item.key])

    total = sum(points[key] for key in spec.total_items) if spec.total_items else None
    subscales = {sub.key: sum(points[key] for key in sub.items) for sub in spec.subscales}
    band = _band(spec, total) if total is not None else None
    flags = [
        rule.flag for rule in spec.flag_rules if _raw_at_least(responses[rule.item], rule.at_least)
    ]
    return Score(total=total, subscales=subscales, band=band, flags=flags, item_points=points)


def band_for(instrument_key: str, total: int) -> str | None:
    """The band label for `total`, or None if the instrument has no bands.

    A total outside the instrument's range is a caller bug, so it raises ValueError rather
    than falling into no band.
    """
    spec = instrument(instrument_key)
    if isinstance(total, bool) or not isinstance(total, int):
        raise ValueError(f"Total of {spec.short_name}: {total!r} is not a whole number.")
    if not spec.bands:
        return None
    return _band(spec, total)


def summary(instrument_key: str, result: Score) -> str:
    """One short line for a table: "Total 48 of 60", "Total 12 (Moderate)",
    "Use 3 · Risk 10 · Protective 18". Flags are named at the end, since a table row is
    where a therapist would otherwise miss them."""
    spec = instrument(instrument_key)
    if result.total is not None and result.band:
        text = f"Total {result.total} ({result.band})"
    elif result.total is not None:
        text = f"Total {result.total} of {spec.series[0].high}"
    else:
        text = " · ".join(
            f"{series.label} {result.subscales[series.key]}" for series in spec.series
        )
    labels = {rule.flag: rule.label for rule in spec.flag_rules}
    for flag in result.flags:
        text += f" · {labels.get(flag, flag)}"
    return text


def _points(spec: Instrument, item: Item, answer: object) -> int:
    where = f"Item {item.key} of {spec.short_name}"
    if item.kind == "yes_no":
        table = dict(item.points)
        if not isinstance(answer, str) or answer not in table:
            options = " or ".join(repr(value) for value, _ in item.choices)
            raise ValueError(f"{where}: {answer!r} is not {options}.")
        return table[answer]

    # bool is an int subclass; True as an answer is a form bug, not a 1.
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise ValueError(f"{where}: {answer!r} is not a whole number.")
    if not item.min <= answer <= item.max:
        raise ValueError(f"{where}: {answer} is outside {item.min}-{item.max}.")
    if item.kind == "days":
        return _day_points(answer)
    return answer


def _day_points(days: int) -> int:
    for first, last, points in DAY_BINS:
        if first <= days <= last:
            return points
    raise AssertionError(f"DAY_BINS do not cover {days} days")  # the item range is 0-30


def _band(spec: Instrument, total: int) -> str | None:
    for band in spec.bands:
        if band.low <= total <= band.high:
            return band.label
    if spec.bands:
        low, high = spec.bands[0].low, spec.bands[-1].high
        raise ValueError(f"Total {total} of {spec.short_name} is outside {low}-{high}.")
    return None


def _raw_at_least(answer: Answer, threshold: int) -> bool:
    # Flags are on numeric items; by now the answer has been validated as an int.
    return isinstance(answer, int) and answer >= threshold
