"""The Brief Addiction Monitor (BAM), worded and keyed as in the VA's Likert version.

Kept apart from the other instruments only for size: it has 23 questions (17 items, item 7
in seven parts), and the registry in `clients.outcomes.instruments` lists it with the rest.
"""

from clients.outcomes.spec import Choices, Instrument, Item, Series, Subscale

# Cacciola JS, Alterman AI, DePhilippis D, Drapkin ML, Valadez C Jr, Fala NC, Oslin D, McKay JR.
# Development and initial evaluation of the Brief Addiction Monitor (BAM). Journal of Substance
# Abuse Treatment 2013;44(3):256-263. Wording and scoring: U.S. Department of Veterans Affairs,
# "Brief Addiction Monitor (BAM) with Scoring & Clinical Guidelines" (Likert version, past 30
# days). Public domain (VA). Subscales per the VA scoring guide: Use = 4+5+6; Risk =
# 1+2+3+8+11+15; Protective = 9+10+12+13+14+16; no item is reverse-scored, because each item
# is already keyed so that 4 means more of what its subscale measures (item 9 "Extremely
# confident" = 4 protective; item 14 "Yes" = 4 protective). Item 7 (7A-7G) elaborates item 6
# and item 17 is an overall progress rating: both are recorded, neither is in a subscale.

EXTENT: Choices = (
    (0, "Not at all"),
    (1, "Slightly"),
    (2, "Moderately"),
    (3, "Considerably"),
    (4, "Extremely"),
)
HEALTH: Choices = ((0, "Excellent"), (1, "Very Good"), (2, "Good"), (3, "Fair"), (4, "Poor"))
BAM_DRUGS_HEADING = "In the past 30 days, how many days did you use any of the following drugs:"


def _days(key: str, text: str, *, scored: bool = True, group: str = "") -> Item:
    return Item(
        key=key, number=key, text=text, kind="days", min=0, max=30, scored=scored, group=group
    )


def _rating(key: str, text: str, choices: Choices, *, scored: bool = True) -> Item:
    return Item(
        key=key, number=key, text=text, kind="choice", min=0, max=4, choices=choices, scored=scored
    )


def _drug(key: str, text: str) -> Item:
    return _days(key, text, scored=False, group=BAM_DRUGS_HEADING)


BAM = Instrument(
    key="bam",
    name="Brief Addiction Monitor (BAM)",
    short_name="BAM",
    source=(
        "Cacciola JS, Alterman AI, DePhilippis D, et al. Development and initial evaluation of "
        "the Brief Addiction Monitor (BAM). Journal of Substance Abuse Treatment "
        "2013;44(3):256-263. U.S. Department of Veterans Affairs, Brief Addiction Monitor "
        "(BAM) with Scoring & Clinical Guidelines."
    ),
    instructions=(
        "This is a standard set of questions about several areas of your life such as your "
        "health, alcohol and drug use, etc. The questions generally ask about the past 30 "
        "days. Please consider each question and answer as accurately as possible."
    ),
    timeframe="Past 30 days",
    items=(
        _rating("1", "In the past 30 days, would you say your physical health has been?", HEALTH),
        _days(
            "2",
            "In the past 30 days, how many nights did you have trouble falling asleep or "
            "staying asleep?",
        ),
        _days(
            "3",
            "In the past 30 days, how many days have you felt depressed, anxious, angry or very "
            "upset throughout most of the day?",
        ),
        _days("4", "In the past 30 days, how many days did you drink ANY alcohol?"),
        _days(
            "5",
            "In the past 30 days, how many days did you have at least 5 drinks (if you are a "
            "man) or at least 4 drinks (if you are a woman)? [One drink is considered one shot "
            "of hard liquor (1.5 oz.) or 12-ounce can/bottle of beer or 5 ounce glass of wine.]",
        ),
        _days(
            "6",
            "In the past 30 days, how many days did you use any illegal/street drugs or abuse "
            "any prescription medications?",
        ),
        _drug("7A", "Marijuana (cannabis, pot, weed)?"),
        _drug(
            "7B",
            'Sedatives/Tranquilizers (e.g., "benzos", Valium, Xanax, Ativan, Ambien, "barbs", '
            "Phenobarbital, downers, etc.)?",
        ),
        _drug("7C", "Cocaine/Crack?"),
        _drug(
            "7D",
            "Other Stimulants (e.g., amphetamine, methamphetamine, Dexedrine, Ritalin, Adderall, "
            '"speed", "crystal meth", "ice", etc.)?',
        ),
        _drug(
            "7E",
            "Opiates (e.g., Heroin, Morphine, Dilaudid, Demerol, Oxycontin, oxy, codeine "
            "(Tylenol 2,3,4), Percocet, Vicodin, Fentanyl, etc.)?",
        ),
        _drug("7F", "Inhalants (glues, adhesives, nail polish remover, paint thinner, etc.)?"),
        _drug(
            "7G",
            "Other drugs (steroids, non-prescription sleep/diet pills, Benadryl, Ephedra, other "
            "over-the-counter/unknown medications)?",
        ),
        _rating(
            "8",
            "In the past 30 days, how much were you bothered by cravings or urges to drink "
            "alcohol or use drugs?",
            EXTENT,
        ),
        _rating(
            "9",
            "How confident are you in your ability to be completely abstinent (clean) from "
            "alcohol and drugs in the next 30 days?",
            EXTENT,
        ),
        _days(
            "10",
            "In the past 30 days, how many days did you attend self-help meetings like AA or NA "
            "to support your recovery?",
        ),
        _days(
            "11",
            "In the past 30 days, how many days were you in any situations or with any people "
            "that might put you at an increased risk for using alcohol or drugs (i.e., around "
            'risky "people, places or things")?',
        ),
        _rating("12", "Does your religion or spirituality help support your recovery?", EXTENT),
        _days(
            "13",
            "In the past 30 days, how many days did you spend much of the time at work, school, "
            "or doing volunteer work?",
        ),
        Item(
            key="14",
            number="14",
            text=(
                "Do you have enough income (from legal sources) to pay for necessities such as "
                "housing, transportation, food and clothing for yourself and your dependents?"
            ),
            kind="yes_no",
            min=0,
            max=4,
            choices=(("no", "No"), ("yes", "Yes")),
            points=(("no", 0), ("yes", 4)),
        ),
        _rating(
            "15",
            "In the past 30 days, how much have you been bothered by arguments or problems "
            "getting along with any family members or friends?",
            EXTENT,
        ),
        _days(
            "16",
            "In the past 30 days, how many days were you in contact or spent time with any "
            "family members or friends who are supportive of your recovery?",
        ),
        _rating(
            "17",
            "How satisfied are you with your progress toward achieving your recovery goals?",
            EXTENT,
            scored=False,
        ),
    ),
    total_items=(),
    subscales=(
        Subscale("use", "Use", ("4", "5", "6")),
        Subscale("risk", "Risk", ("1", "2", "3", "8", "11", "15")),
        Subscale("protective", "Protective", ("9", "10", "12", "13", "14", "16")),
    ),
    series=(
        Series("use", "Use", 0, 12, False),
        Series("risk", "Risk", 0, 24, False),
        Series("protective", "Protective", 0, 24, True),
    ),
)
