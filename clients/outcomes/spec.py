"""The shapes an outcome instrument is described in: items, scoring rules, chart metadata.

Everything a form, a chart or a dashboard needs to know about an instrument lives in these
frozen records, so that adding an instrument is adding data, not code. Scoring reads the
same records (`clients.outcomes.scoring`), which keeps what is shown and what is counted
from drifting apart.
"""

from dataclasses import dataclass
from typing import Literal, NamedTuple

ItemKind = Literal["choice", "days", "yes_no", "scale"]

# An answer as a form records it: a whole number, or "yes"/"no" for a yes_no item.
Answer = int | str

# The answers a form offers: (stored value, label shown). Stored values are what `score()`
# takes; labels are the published wording.
Choices = tuple[tuple[Answer, str], ...]

# BAM day-count items are asked as days in the past 30 but scored in the bins of the VA's
# Likert version (0, 1-3, 4-8, 9-15, 16-30 days -> 0-4). We store days, not bins, so a
# change of the bins later never needs a data migration: (first day, last day, points).
DAY_BINS: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0),
    (1, 3, 1),
    (4, 8, 2),
    (9, 15, 3),
    (16, 30, 4),
)

FLAG_SELF_HARM = "self_harm"


@dataclass(frozen=True)
class Item:
    """One question. `key` is how responses name it ("1", "7A", "importance").

    `min`/`max` bound the raw answer of numeric kinds (days for "days"); for "yes_no" they
    bound the points, and `points` maps each answer to them. `scored` says whether the item
    counts toward a total or subscale; unscored items are still asked, checked and kept.
    """

    key: str
    number: str
    text: str
    kind: ItemKind
    min: int
    max: int
    choices: Choices = ()
    scored: bool = True
    group: str = ""
    points: tuple[tuple[str, int], ...] = ()


class Band(NamedTuple):
    """A labelled range of totals, both ends included; also used to shade charts."""

    low: int
    high: int
    label: str


class Series(NamedTuple):
    """Something to chart over time: the total or a subscale, with its possible range.

    `higher_is_better` lets a UI call a change an improvement or a worsening without
    knowing the instrument.
    """

    key: str
    label: str
    low: int
    high: int
    higher_is_better: bool


@dataclass(frozen=True)
class Subscale:
    key: str
    label: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class FlagRule:
    """Raise `flag` when item `item` is answered `at_least` or higher."""

    flag: str
    item: str
    at_least: int
    label: str


@dataclass(frozen=True)
class Instrument:
    """A whole instrument: wording, how it is scored, and how it is charted.

    `total_items` lists the items summed into the total; an empty tuple means the
    instrument has no total (BAM, readiness ruler), and `Score.total` is then None.
    """

    key: str
    name: str
    short_name: str
    source: str
    instructions: str
    timeframe: str | None
    items: tuple[Item, ...]
    total_items: tuple[str, ...]
    subscales: tuple[Subscale, ...]
    series: tuple[Series, ...]
    bands: tuple[Band, ...] = ()
    reference_line: int | None = None
    reference_label: str = ""
    flag_rules: tuple[FlagRule, ...] = ()

    def item(self, key: str) -> Item:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)
