"""Standard outcome instruments for addiction treatment: wording, scoring, chart metadata.

Pure Python, no models: forms, charts and the dashboard build on this, and the rules are
tested without a database.

    from clients.outcomes import score, summary
    result = score("phq9", {"1": 2, "2": 1, ...})
    summary("phq9", result)  # "Total 12 (Moderate)"
"""

from clients.outcomes.instruments import (
    BAM,
    BARC10,
    GAD7,
    INSTRUMENTS,
    PHQ9,
    READINESS_RULER,
    RULER_BLANK,
    UnknownInstrumentError,
    instrument,
)
from clients.outcomes.scoring import Score, band_for, score, summary
from clients.outcomes.spec import (
    DAY_BINS,
    FLAG_SELF_HARM,
    Band,
    FlagRule,
    Instrument,
    Item,
    ItemKind,
    Series,
    Subscale,
)

__all__ = [
    "BAM",
    "BARC10",
    "DAY_BINS",
    "FLAG_SELF_HARM",
    "GAD7",
    "INSTRUMENTS",
    "PHQ9",
    "READINESS_RULER",
    "RULER_BLANK",
    "Band",
    "FlagRule",
    "Instrument",
    "Item",
    "ItemKind",
    "Score",
    "Series",
    "Subscale",
    "UnknownInstrumentError",
    "band_for",
    "instrument",
    "score",
    "summary",
]
