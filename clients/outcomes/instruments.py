"""The five outcome instruments, worded as published, and the registry that names them.

All five are free to use without permission. Item wording and answer labels are copied from
the sources cited beside each instrument; do not "tidy" them, since a reworded item is no
longer the validated instrument. Where a source could not be checked word for word, the
comment says so.
"""

from collections.abc import Mapping
from types import MappingProxyType

from clients.outcomes.bam import BAM
from clients.outcomes.spec import (
    FLAG_SELF_HARM,
    Band,
    Choices,
    FlagRule,
    Instrument,
    Item,
    Series,
    Subscale,
)

# --- BARC-10 ----------------------------------------------------------------------------------
# Vilsaint CL, Kelly JF, Bergman BG, Groshkova T, Best D, White W. Development and validation of
# a Brief Assessment of Recovery Capital (BARC-10) for alcohol and drug use disorder. Drug and
# Alcohol Dependence 2017;177:71-76. doi:10.1016/j.drugalcdep.2017.03.022. Free to use (PhenX
# Toolkit: "freely available; permission not required"). Answers 1 (strongly disagree) to 6
# (strongly agree) per the PhenX protocol; the instruction line is ours, as the published one
# could not be checked word for word.

AGREEMENT: Choices = (
    (1, "Strongly disagree"),
    (2, "Disagree"),
    (3, "Somewhat disagree"),
    (4, "Somewhat agree"),
    (5, "Agree"),
    (6, "Strongly agree"),
)

_BARC10_TEXTS = (
    "There are more important things to me in life than using substances.",
    "In general I am happy with my life.",
    "I have enough energy to complete the tasks I set myself.",
    "I am proud of the community I live in and feel part of it.",
    "I get lots of support from friends.",
    "I regard my life as challenging and fulfilling without the need for using drugs or alcohol.",
    "My living space has helped to drive my recovery journey.",
    "I take full responsibility for my actions.",
    "I am happy dealing with a range of professional people.",
    "I am making good progress on my recovery journey.",
)

BARC10 = Instrument(
    key="barc10",
    name="Brief Assessment of Recovery Capital (BARC-10)",
    short_name="BARC-10",
    source=(
        "Vilsaint CL, Kelly JF, Bergman BG, Groshkova T, Best D, White W. Development and "
        "validation of a Brief Assessment of Recovery Capital (BARC-10) for alcohol and drug "
        "use disorder. Drug and Alcohol Dependence 2017;177:71-76."
    ),
    instructions=(
        "For each statement, choose how much you agree or disagree, from 1 (strongly "
        "disagree) to 6 (strongly agree)."
    ),
    timeframe=None,
    items=tuple(
        Item(key=str(n), number=str(n), text=text, kind="choice", min=1, max=6, choices=AGREEMENT)
        for n, text in enumerate(_BARC10_TEXTS, start=1)
    ),
    total_items=tuple(str(n) for n in range(1, 11)),
    subscales=(),
    series=(Series("total", "Total", 10, 60, True),),
    # The study's ROC cut-off for sustained remission (>12 months abstinent). A reference
    # for the chart, never a diagnosis, so it is a line and not a band.
    reference_line=47,
    reference_label="47: level associated with sustained remission in the validation study",
)

# --- Readiness ruler ----------------------------------------------------------------------------
# Importance and confidence rulers: Miller WR, Rollnick S. Motivational Interviewing: Preparing
# People for Change, 2nd ed. New York: Guilford Press, 2002 (as reproduced in the "Assessing
# Importance and Confidence" handout); see also the Readiness Ruler of the Center for
# Evidence-Based Practices, Case Western Reserve University. Free to use. The blank is the
# change the client has named; the ruler is asked in conversation, so a form fills it in.

RULER_BLANK = "______"


def _ruler(low: str, high: str) -> Choices:
    return ((0, low), *((n, str(n)) for n in range(1, 10)), (10, high))


READINESS_RULER = Instrument(
    key="readiness_ruler",
    name="Readiness ruler (importance and confidence)",
    short_name="Readiness ruler",
    source=(
        "Miller WR, Rollnick S. Motivational Interviewing: Preparing People for Change, 2nd "
        "ed. New York: Guilford Press, 2002 (importance and confidence rulers)."
    ),
    instructions=f"{RULER_BLANK} is the change the client has named, in their own words.",
    timeframe=None,
    items=(
        Item(
            key="importance",
            number="Importance",
            text=(
                f"How important would you say it is for you to {RULER_BLANK}? On a scale from 0 "
                "to 10, where 0 is not at all important and 10 is extremely important, where "
                "would you say you are?"
            ),
            kind="scale",
            min=0,
            max=10,
            choices=_ruler("Not at all important", "Extremely important"),
        ),
        Item(
            key="confidence",
            number="Confidence",
            text=(
                "And how confident would you say you are that if you decided to "
                f"{RULER_BLANK}, you could do it? On the same scale from 0 to 10, where 0 is "
                "not at all confident and 10 is extremely confident, where would you say you "
                "are?"
            ),
            kind="scale",
            min=0,
            max=10,
            choices=_ruler("Not at all confident", "Extremely confident"),
        ),
    ),
    total_items=(),
    # Importance and confidence are different levers (MI works on the lower one), so they
    # are never added together.
    subscales=(
        Subscale("importance", "Importance", ("importance",)),
        Subscale("confidence", "Confidence", ("confidence",)),
    ),
    series=(
        Series("importance", "Importance", 0, 10, True),
        Series("confidence", "Confidence", 0, 10, True),
    ),
)

# --- PHQ-9 and GAD-7 ----------------------------------------------------------------------------
# Answer labels and stems as in the Pfizer forms (checked against the CamCOPS strings).

FREQUENCY: Choices = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)
TWO_WEEKS_STEM = (
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)


def _frequency_items(texts: tuple[str, ...]) -> tuple[Item, ...]:
    return tuple(
        Item(key=str(n), number=str(n), text=text, kind="choice", min=0, max=3, choices=FREQUENCY)
        for n, text in enumerate(texts, start=1)
    )


# Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity
# measure. Journal of General Internal Medicine 2001;16(9):606-613. Developed by Drs Spitzer,
# Williams, Kroenke and colleagues with an educational grant from Pfizer Inc.; no permission
# required to reproduce. The optional 10th (difficulty) question is left out: it is not scored,
# and every item here is required.
PHQ9 = Instrument(
    key="phq9",
    name="Patient Health Questionnaire (PHQ-9)",
    short_name="PHQ-9",
    source=(
        "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression "
        "severity measure. Journal of General Internal Medicine 2001;16(9):606-613. "
        "Pfizer Inc.; free to use."
    ),
    instructions=TWO_WEEKS_STEM,
    timeframe="Over the last 2 weeks",
    items=_frequency_items(
        (
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself — or that you are a failure or have let yourself or "
            "your family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Moving or speaking so slowly that other people could have noticed? Or the "
            "opposite — being so fidgety or restless that you have been moving around a lot "
            "more than usual",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        )
    ),
    total_items=tuple(str(n) for n in range(1, 10)),
    subscales=(),
    series=(Series("total", "Total", 0, 27, False),),
    bands=(
        Band(0, 4, "Minimal"),
        Band(5, 9, "Mild"),
        Band(10, 14, "Moderate"),
        Band(15, 19, "Moderately severe"),
        Band(20, 27, "Severe"),
    ),
    # Any answer above "Not at all" on item 9 needs the therapist's attention whatever the
    # total, so it is a flag on the score rather than something a reader must spot.
    flag_rules=(FlagRule(FLAG_SELF_HARM, "9", 1, "Item 9 above 0"),),
)

# Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized anxiety
# disorder: the GAD-7. Archives of Internal Medicine 2006;166(10):1092-1097. Pfizer Inc.; free to
# use. Its optional difficulty question is left out, as for the PHQ-9.
GAD7 = Instrument(
    key="gad7",
    name="Generalized Anxiety Disorder scale (GAD-7)",
    short_name="GAD-7",
    source=(
        "Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing "
        "generalized anxiety disorder: the GAD-7. Archives of Internal Medicine "
        "2006;166(10):1092-1097. Pfizer Inc.; free to use."
    ),
    instructions=TWO_WEEKS_STEM,
    timeframe="Over the last 2 weeks",
    items=_frequency_items(
        (
            "Feeling nervous, anxious or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid as if something awful might happen",
        )
    ),
    total_items=tuple(str(n) for n in range(1, 8)),
    subscales=(),
    series=(Series("total", "Total", 0, 21, False),),
    bands=(
        Band(0, 4, "Minimal"),
        Band(5, 9, "Mild"),
        Band(10, 14, "Moderate"),
        Band(15, 21, "Severe"),
    ),
)

# --- Registry ---------------------------------------------------------------------------------

# Read-only, so no caller can swap an instrument out from under the others.
INSTRUMENTS: Mapping[str, Instrument] = MappingProxyType(
    {spec.key: spec for spec in (BARC10, BAM, READINESS_RULER, PHQ9, GAD7)}
)


class UnknownInstrumentError(KeyError, ValueError):
    """An instrument key we do not have. Both a KeyError (it is a lookup) and a ValueError
    (it is bad input to `score()`), so callers may catch whichever reads naturally."""

    def __str__(self) -> str:
        # KeyError would print the message in quotes.
        return str(self.args[0])


def instrument(key: str) -> Instrument:
    """The instrument named `key`; UnknownInstrumentError if there is none."""
    try:
        return INSTRUMENTS[key]
    except (KeyError, TypeError):
        known = ", ".join(INSTRUMENTS)
        raise UnknownInstrumentError(f"Unknown instrument {key!r} (known: {known}).") from None
