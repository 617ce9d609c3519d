"""Outcome measure histories for a few demo clients, answered item by item.

Each history follows its client's story: recovery capital that grows for a client who warms
to groups and stays flat for one who is stuck, a BAM whose use falls as meetings rise (and
jumps after a lapse), readiness rulers that explain an ambivalent client, and a PHQ-9 and
GAD-7 for the client whose depression and anxiety are part of the picture. The answers are
generated per item and scored by `clients.outcomes.score()`, so the stored figures are the
code's, exactly as `outcome_measure_store` would compute them.

The demo keeps no live safety flag. Ada's intake PHQ-9 answers item 9 "several days" and
every later one answers 0, so the history shows the flag and how a later PHQ-9 clears it from
the caseload. A flag that stood on an invented client would greet every demo visitor with an
alert that means nothing, and teach them to click past the real one.
"""

import datetime
import random
from dataclasses import dataclass

from clients.models import (
    AttendanceStatus,
    Client,
    ClientStatus,
    MeasureRequest,
    MeasureSource,
    OutcomeMeasure,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from clients.outcomes import instrument, score
from seeding.demo.common import DAY, SEED, TZ, local_time
from seeding.demo.stories import Story

Answers = dict[str, int | str]


@dataclass(frozen=True)
class Course:
    """How one client's answers to one instrument move, from the first administration to the
    last (linearly, with a little noise between the two ends, which are exact).

    `start` and `end` are the instrument's targets: the total (BARC-10, PHQ-9, GAD-7),
    importance and confidence (readiness ruler), or how well things go from 0 to 1 (BAM).
    """

    instrument: str
    every_days: int  # given at the session nearest each due day
    start: tuple[float, ...]
    end: tuple[float, ...]
    by_client_last: bool = False  # the last one answered by the client from a link


COURSES: dict[str, tuple[Course, ...]] = {
    # Warming to AA: from the high 30s to past 47, the level the validation study associates
    # with sustained remission. The last one Jordan answers from the emailed link.
    "Jordan M.": (Course("barc10", 90, (38,), (48,), by_client_last=True),),
    # Court-recommended and stuck: recovery capital flat; confident of stopping, but it
    # matters little to him, which is the ruler MI works on.
    "Theo B.": (
        Course("barc10", 90, (33,), (33,)),
        Course("readiness_ruler", 56, (2, 8), (3, 8)),
    ),
    # Stable on buprenorphine: use falls to nothing, the protective side grows.
    "Alex P.": (Course("bam", 30, (0.0,), (1.0,)),),
    # Climbs, lapses (the BAM after it shows the use), climbs again.
    "Keisha W.": (Course("bam", 30, (0.1,), (0.85,)),),
    # Wants it and believes in it more as the practical barriers ease.
    "Marisol V.": (Course("readiness_ruler", 42, (7, 3), (9, 6)),),
    # Recurrent depression: moderately severe at intake to mild; anxiety moderate to mild.
    "Ada Q.": (Course("phq9", 28, (17,), (7,)), Course("gad7", 28, (13,), (6,))),
}

# The BAM's drug item for each substance the demo's clients use (7A-7G elaborate item 6).
BAM_DRUG_ITEMS = {
    "cannabis": "7A",
    "benzodiazepines": "7B",
    "stimulants": "7C",
    "opioids": "7E",
}


def measure_rows(
    story: Story, client: Client
) -> tuple[list[MeasureRequest], list[OutcomeMeasure], list[Reminder]]:
    """The client's measures, with the request and its email for the one answered by link."""
    courses = COURSES.get(story.profile.name, ())
    # Its own generator, so the measures never shift the draws of the rest of the story.
    rng = random.Random(f"{SEED}:{story.profile.name}:outcomes")
    requests, measures, emails = [], [], []
    for course in courses:
        spec = instrument(course.instrument)
        lean = {item.key: rng.uniform(0.5, 2.0) for item in spec.items}  # the client's profile
        days = _due_sessions(story, course.every_days)
        for index, day in enumerate(days):
            share = index / max(len(days) - 1, 1)
            targets = [
                a + (b - a) * share + (0 if share in (0, 1) else rng.uniform(-1, 1) * _noise(a, b))
                for a, b in zip(course.start, course.end, strict=True)
            ]
            answers = _answers(course.instrument, story, day, targets, lean, rng, first=index == 0)
            measure = _measure(client, course.instrument, day, answers)
            last = index == len(days) - 1
            if last and course.by_client_last and _may_email(client, day):
                request, email = _request(story, client, course.instrument, day, rng)
                measure.administered_on = request.completed_at.date()
                measure.source, measure.request = MeasureSource.CLIENT, request
                measure.created_at = request.completed_at
                requests.append(request)
                emails.append(email)
            else:
                measure.entered_by = story.therapist
                measure.created_at = local_time(day, rng.randint(15, 17), rng.randint(0, 59))
            measures.append(measure)
    return requests, measures, emails


def _noise(start: float, end: float) -> float:
    # Totals wobble by a point or so; BAM's 0-1 course by a tenth.
    return 0.1 if max(abs(start), abs(end)) <= 1 else 1.0


def _due_sessions(story: Story, every_days: int) -> list[datetime.date]:
    """The sessions nearest each due day, from intake on; none past the last session."""
    found: list[datetime.date] = []
    due = story.sessions[0]
    while due <= story.sessions[-1] + every_days // 2 * DAY:
        nearest = min(story.sessions, key=lambda s: (abs((s - due).days), s))
        if abs((nearest - due).days) <= every_days // 2 and nearest not in found:
            found.append(nearest)
        due += every_days * DAY
    return found


def _measure(client: Client, key: str, day: datetime.date, answers: Answers) -> OutcomeMeasure:
    result = score(key, answers)
    # The same figures outcome_measure_store keeps; built in memory to go in one bulk_create
    # with the rest of the demo, dated by the story rather than by the clock.
    return OutcomeMeasure(
        client=client,
        instrument=key,
        administered_on=day,
        responses=answers,
        total=result.total,
        subscales=result.subscales,
        band=result.band or "",
        safety_flag=bool(result.flags),
    )


def _may_email(client: Client, day: datetime.date) -> bool:
    consent = client.email_consent_at
    # What measure_request_send asks of a real one: active, an address, consent in force.
    return (
        client.status == ClientStatus.ACTIVE
        and bool(client.contact_email)
        and consent is not None
        and consent < local_time(day, 17)
        and client.email_consent_withdrawn_at is None
    )


def _request(
    story: Story, client: Client, key: str, day: datetime.date, rng: random.Random
) -> tuple[MeasureRequest, Reminder]:
    """A questionnaire sent after the session and answered within a couple of evenings."""
    sent = local_time(day, 17, rng.randint(0, 59))
    answered_on = min(day + rng.randint(0, 2) * DAY, story.today - DAY)
    answered = max(local_time(answered_on, 20, rng.randint(0, 59)), sent + DAY / 24)
    request = MeasureRequest(
        client=client,
        instrument=key,
        requested_by=story.therapist,
        created_at=sent,
        # The link's lifetime, as MEASURE_LINK_MAX_AGE_DAYS gives a real request.
        expires_at=sent + 14 * DAY,
        completed_at=answered,
    )
    email = Reminder(
        measure_request=request,
        kind=ReminderKind.MEASURE,
        due_at=sent,
        status=ReminderStatus.SENT,
        attempts=1,
        claimed_at=sent,
        sent_at=sent + datetime.timedelta(minutes=1),
        created_at=sent,
    )
    return request, email


def _answers(
    key: str,
    story: Story,
    day: datetime.date,
    targets: list[float],
    lean: dict[str, float],
    rng: random.Random,
    *,
    first: bool,
) -> Answers:
    spec = instrument(key)
    if key == "readiness_ruler":
        importance, confidence = (min(10, max(0, round(t))) for t in targets)
        return {"importance": importance, "confidence": confidence}
    if key == "bam":
        return _bam(story, day, targets[0], rng)
    total = round(targets[0])
    if key == "phq9":
        # Item 9 only at intake: see the module's docstring.
        thoughts = 1 if first else 0
        rest = _spread(total - thoughts, [str(n) for n in range(1, 9)], 0, 3, lean, rng)
        return {**rest, "9": thoughts}
    low, high = spec.items[0].min, spec.items[0].max
    return _spread(total, list(spec.total_items), low, high, lean, rng)


def _spread(
    total: int, keys: list[str], low: int, high: int, lean: dict[str, float], rng: random.Random
) -> Answers:
    """Answers between low and high adding up to `total`, shared out by the client's `lean`
    (a little different each time), so the same items run high from one time to the next."""
    room, left = high - low, total - low * len(keys)
    if not 0 <= left <= room * len(keys):
        raise ValueError(f"No answers between {low} and {high} on {len(keys)} items sum to {total}")
    want = {key: lean[key] * rng.uniform(0.8, 1.2) for key in keys}
    share = dict.fromkeys(keys, 0.0)
    unfilled, rest = set(keys), float(left)
    while unfilled and rest > 1e-9:  # share in proportion; an item at the top gives back
        weight = sum(want[key] for key in unfilled)
        full = {key for key in unfilled if rest * want[key] / weight >= room}
        if not full:
            for key in unfilled:
                share[key] += rest * want[key] / weight
            break
        for key in full:
            share[key] = room
            rest -= room
        unfilled -= full
    points = {key: int(share[key]) for key in keys}
    # Largest remainders take the points rounding down left over.
    by_remainder = sorted(keys, key=lambda key: share[key] - points[key], reverse=True)
    for key in by_remainder[: left - sum(points.values())]:
        points[key] += 1
    return {key: low + points[key] for key in keys}


def _bam(story: Story, day: datetime.date, well: float, rng: random.Random) -> Answers:
    """A BAM for the past 30 days when things go `well` (0 as at intake, 1 at their best).

    Meeting days come from the attendance the story recorded, and a lapse in the 30 days
    sets the rest back."""
    income = "yes" if well >= 0.5 else "no"  # a lapse does not take the job away
    if story.lapse_on is not None and 0 <= (day - story.lapse_on).days < 30:
        well = max(0.0, well - 0.55)
    wobble = min(well, 1 - well)  # none at either end, so the ends stay as set

    def days(worst: int, best: int) -> int:
        value = worst + (best - worst) * well + rng.uniform(-3, 3) * wobble
        return min(30, max(0, round(value)))

    def rating(worst: int, best: int) -> int:
        return min(4, max(0, round(worst + (best - worst) * well + rng.uniform(-1, 1) * wobble)))

    substances = story.profile.substances
    drinks = "alcohol" in substances
    drugs = {BAM_DRUG_ITEMS[s]: days(14, 0) for s in substances if s in BAM_DRUG_ITEMS}
    meetings = sum(
        a.status == AttendanceStatus.ATTENDED
        and 0 <= (day - a.occurrence_start.astimezone(TZ).date()).days < 30
        for a in story.attendance
    )
    answers: Answers = {
        "1": rating(3, 1),
        "2": days(18, 4),
        "3": days(16, 3),
        "4": days(16, 0) if drinks else days(2, 0),
        "5": days(10, 0) if drinks else 0,
        **{f"7{letter}": 0 for letter in "ABCDEFG"},
        **drugs,
        "8": rating(3, 1),
        "9": rating(1, 3),
        "10": meetings,
        "11": days(14, 2),
        "12": rating(1, 2),
        "13": days(6, 20),
        "14": income,
        "15": rating(2, 0),
        "16": days(5, 22),
        "17": rating(1, 3),
    }
    # Item 6 counts days of any drug: at least the days of the drug used most.
    answers["6"] = max(drugs.values(), default=0)
    answers["5"] = min(answers["5"], answers["4"])  # heavy days are drinking days
    return answers
