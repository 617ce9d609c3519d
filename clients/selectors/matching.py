"""Barrier-aware matching: meetings ranked by what this client has voiced and prefers.

Which meeting features lower which barrier is data, in each theme's `meeting_features`
(editable in the admin); this module only weighs it. A client's preferences are hard limits
(days, hours, online or in person, distance, secular or 12-step); themes, language, group and
the next ladder step give points.
"""

import datetime
import json
import operator
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Expression,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, RowNumber, StrIndex
from django.db.models.lookups import GreaterThan

from clients.models import (
    AttendancePreference,
    Client,
    GroupPreference,
    LadderStep,
    MeetingPlan,
    NoteTheme,
    ProgramPreference,
    Recurrence,
)
from groups.features import SECULAR, feature_phrase
from groups.filters import has_type
from groups.models import AttendanceOption, Meeting
from groups.queries import active_meetings, distance_km, filter_near

THEME_WINDOW_DAYS = 120
# A theme voiced a month ago counts half as much as one voiced today.
THEME_HALF_LIFE_DAYS = 30
# What the next rung of the ladder asks for, as feature tokens, and how it reads.
NEXT_STEP_FEATURES: dict[int, tuple[list[str], str]] = {
    LadderStep.LISTENED_ONLINE: (["attendance:online"], "you can listen with the camera off"),
    LadderStep.ATTENDED_ONLINE: (
        ["attendance:online", "attendance:hybrid"],
        "a gentle next step: joining in online",
    ),
    LadderStep.ATTENDED_IN_PERSON: (
        ["attendance:in_person", "attendance:hybrid", "type:SP"],
        "you can sit at the back and just listen",
    ),
    LadderStep.CONNECTED_WITH_PEER: (["type:BE", "type:D"], "a chance to meet one person"),
    LadderStep.SHARED_IN_MEETING: (["type:D", "type:BE"], "a small room where sharing is easier"),
    LadderStep.ATTENDS_REGULARLY: (["type:D", "type:ST"], "a meeting to make a weekly habit"),
    LadderStep.HOME_GROUP: (["type:ST", "type:D"], "a group to belong to"),
}
NEXT_STEP_WEIGHT = 1.5
PREFERENCE_WEIGHT = 2.0
# Scores are whole units, ten thousand to the point (see `Weights`).
SCORE_SCALE = 10_000
STEP_UNITS = round(NEXT_STEP_WEIGHT * SCORE_SCALE)
PREFERENCE_UNITS = round(PREFERENCE_WEIGHT * SCORE_SCALE)
# Rows read in score order for each suggestion before ranking groups with a window.
HEAD_ROWS_PER_SUGGESTION = 40
# A one-off plan's occurrence is the meeting's first day on or after its date.
ONCE_PLAN_DAYS = 7
GROUP_CODES = {"W", "M", "LGBTQ"}


@dataclass
class Suggestion:
    meeting: Meeting
    score: float
    reason: str
    distance: float | None = None


@dataclass
class VoicedTheme:
    name: str
    meeting_features: list[str]
    weight: float = 0.0


def theme_weights(client: Client, *, today: datetime.date) -> dict[int, VoicedTheme]:
    """Each recent theme's weight (intensity, decaying with age), with what it favours.

    One query: the theme's name and features come with the notes that voiced it.
    """
    since = today - datetime.timedelta(days=THEME_WINDOW_DAYS)
    themes: dict[int, VoicedTheme] = {}
    rows = NoteTheme.objects.filter(note__client=client, note__session_date__gte=since).values_list(
        "theme_id", "theme__name", "theme__meeting_features", "intensity", "note__session_date"
    )
    for theme_id, name, features, intensity, day in rows:
        age = max((today - day).days, 0)
        theme = themes.setdefault(theme_id, VoicedTheme(name, features))
        theme.weight += intensity * 0.5 ** (age / THEME_HALF_LIFE_DAYS)
    return themes


def meeting_tokens(meeting: Meeting) -> set[str]:
    tokens = {f"attendance:{meeting.attendance_option}", f"program:{meeting.program.key}"}
    tokens |= {f"type:{code}" for code in meeting.types}
    if not meeting.program.is_twelve_step:
        tokens.add(f"program:{SECULAR}")
    return tokens


def candidate_meetings(client: Client) -> QuerySet[Meeting]:
    """Active meetings within the client's hard limits."""
    meetings = active_meetings()
    if client.attendance_preference == AttendancePreference.ONLINE:
        meetings = meetings.exclude(attendance_option=AttendanceOption.IN_PERSON)
    elif client.attendance_preference == AttendancePreference.IN_PERSON:
        meetings = meetings.exclude(attendance_option=AttendanceOption.ONLINE)
    if client.program_preference == ProgramPreference.SECULAR:
        meetings = meetings.filter(program__is_twelve_step=False)
    elif client.program_preference == ProgramPreference.TWELVE_STEP:
        meetings = meetings.filter(program__is_twelve_step=True)
    if client.available_days:
        meetings = meetings.filter(day__in=client.available_days)
    if client.available_from:
        meetings = meetings.filter(start_time__gte=client.available_from)
    if client.available_until:
        meetings = meetings.filter(end_time__lte=client.available_until)
    # A women's or men's meeting is only for a client who asked for one.
    unasked = [
        code
        for code in (GroupPreference.WOMEN, GroupPreference.MEN)
        if client.group_preference != code
    ]
    meetings = meetings.exclude(_has_type_in_either_case(unasked))
    if (
        client.attendance_preference == AttendancePreference.IN_PERSON
        and client.latitude is not None
        and client.max_distance_km
    ):
        meetings = filter_near(
            meetings,
            latitude=client.latitude,
            longitude=client.longitude,
            km=client.max_distance_km,
        )
    elif client.latitude is not None and client.max_distance_km:
        # Online meetings are never too far; in-person ones must be within reach.
        near = filter_near(
            meetings,
            latitude=client.latitude,
            longitude=client.longitude,
            km=client.max_distance_km,
        ).values("pk")
        meetings = meetings.filter(Q(attendance_option=AttendanceOption.ONLINE) | Q(pk__in=near))
    return meetings


def planned_meetings(client: Client, *, today: datetime.date) -> QuerySet[MeetingPlan]:
    """The client's current plans: not cancelled, and not over.

    The client page lists every plan that is not cancelled; a weekly plan is over after its
    `until`, a one-off once its single occurrence (in the week from `starts_on`) has passed.
    """
    return (
        MeetingPlan.objects.filter(client=client, cancelled_at__isnull=True)
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .exclude(
            recurrence=Recurrence.ONCE,
            starts_on__lt=today - datetime.timedelta(days=ONCE_PLAN_DAYS - 1),
        )
    )


@dataclass
class Weights:
    """What this client's themes, preferences and next ladder step make each feature worth.

    Points are summed as whole units (SCORE_SCALE to the point), in Python and in the
    database alike: integer sums are exact in any order, so both rank every meeting the same
    way, where float sums could differ in their last bit and swap two equal scores.
    """

    token_points: dict[str, float]  # theme points per token: orders the reason line
    token_theme: dict[str, tuple[float, str]]  # token → (weight, the theme it helps most)
    step_tokens: list[str]
    step_phrase: str
    wanted: set[str]
    token_units: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.token_units = {
            token: round(points * SCORE_SCALE) for token, points in self.token_points.items()
        }

    def score(self, tokens: set[str]) -> int:
        """A meeting's score, in units, from its feature tokens."""
        units = sum(self.token_units[token] for token in tokens if token in self.token_units)
        if any(token in tokens for token in self.step_tokens):
            units += STEP_UNITS
        return units + PREFERENCE_UNITS * len(self.wanted & tokens)

    def matched(self, tokens: set[str]) -> list[str]:
        """The tokens the client's themes favour, strongest first."""
        return sorted(
            (token for token in tokens if token in self.token_points),
            key=lambda token: (-self.token_points[token], token),
        )

    def reason(self, tokens: set[str]) -> str:
        step_match = any(token in tokens for token in self.step_tokens)
        return _reason(self.matched(tokens), step_match and self.step_phrase, self.token_theme)


def client_weights(client: Client, *, today: datetime.date, current_step: int | None) -> Weights:
    token_points: dict[str, float] = defaultdict(float)
    token_theme: dict[str, tuple[float, str]] = {}
    for theme in theme_weights(client, today=today).values():
        for token in theme.meeting_features:
            token_points[token] += theme.weight
            if theme.weight > token_theme.get(token, (0, ""))[0]:
                token_theme[token] = (theme.weight, theme.name)
    step_tokens, step_phrase = NEXT_STEP_FEATURES.get((current_step or 0) + 1, ([], ""))
    wanted = set()
    if client.language:
        wanted.add(f"type:{client.language}")
    if client.group_preference:
        wanted.add(f"type:{client.group_preference}")
    if client.prefers_lgbtq_meetings:
        wanted.add("type:LGBTQ")
    return Weights(dict(token_points), token_theme, step_tokens, step_phrase, wanted)


def meetings_that_may_fit(
    client: Client, *, today: datetime.date, current_step: int | None, limit: int = 5
) -> list[Suggestion]:
    """The best `limit` meetings for this client now, each with one line on why it fits.

    Ranked in the database over every candidate, whatever the catalogue's size, with the
    answer scoring each candidate in Python would give: by score (`Weights.score`), then
    day, start time and id, keeping each group's first meeting (a series held on several
    days shows once, at its best day). Meetings the client already has planned are left out.

    - The score is a sum of CASE terms, one per feature the client's weights favour
      (`score_expression`), in whole units, so the database's sum equals Python's exactly.
    - The head of that order is read first, narrow: a group's first meeting in any prefix of
      the order is its best, so a head holding `limit` groups holds the answer. Only when a
      few long series fill the head does a window over every candidate pick each group's
      best meeting.

    Three queries whatever the catalogue's size (the themes voiced, the head, the chosen
    meetings), four when the window is needed.

    Scoring distinct (attendance, program, types) signatures in Python instead would not
    stay small: feeds list type codes in any order and combination, so a large catalogue
    has nearly as many signatures as meetings.
    """
    weights = client_weights(client, today=today, current_step=current_step)
    score = score_expression(weights)
    order = [F("score").desc(), F("day").asc(), F("start_time").asc(), F("pk").asc()]
    ranked = (
        candidate_meetings(client)
        .exclude(pk__in=planned_meetings(client, today=today).values("meeting_id"))
        .annotate(score=score)
        .order_by(*order)
    )
    # The first rows in this order hold the best groups unless a few series crowd them out:
    # a top-N sort of narrow rows is cheap, a window over every candidate is not.
    head = list(ranked.values_list("pk", "name", "program_id")[: limit * HEAD_ROWS_PER_SUGGESTION])
    chosen = _one_per_group(head, limit)
    if len(chosen) < limit and len(head) == limit * HEAD_ROWS_PER_SUGGESTION:
        chosen = list(
            ranked.annotate(
                group_rank=Window(
                    RowNumber(), partition_by=[F("name"), F("program_id")], order_by=order
                )
            )
            .filter(group_rank=1)
            .values_list("pk", flat=True)[:limit]
        )
    found = active_meetings().in_bulk(chosen)
    # A meeting deactivated by a feed import since the ranking is simply left out.
    best = [found[pk] for pk in chosen if pk in found]
    suggestions = []
    for meeting in best:
        tokens = meeting_tokens(meeting)
        suggestions.append(
            Suggestion(
                meeting=meeting,
                score=round(weights.score(tokens) / SCORE_SCALE, 2),
                reason=weights.reason(tokens),
                distance=distance_km(
                    client.latitude, client.longitude, meeting.latitude, meeting.longitude
                )
                if client.latitude is not None and meeting.latitude is not None
                else None,
            )
        )
    return suggestions


def _one_per_group(rows: list[tuple[int, str, int]], limit: int) -> list[int]:
    """The first meeting of each (name, program) among (pk, name, program) rows, up to
    `limit`: a series held on several days shows once, at its best day."""
    seen: set[tuple[str, int]] = set()
    chosen = []
    for pk, name, program_id in rows:
        if len(chosen) == limit:
            break
        if (name, program_id) not in seen:
            seen.add((name, program_id))
            chosen.append(pk)
    return chosen


def score_expression(weights: Weights) -> Expression:
    """`Weights.score` as SQL: a sum of whole units, one CASE term per favoured feature."""
    units: dict[str, int] = defaultdict(int, weights.token_units)
    for token in weights.wanted:
        units[token] += PREFERENCE_UNITS
    # bigint from the first term on, so no sum can overflow PostgreSQL's integer.
    total: Expression = Cast(Value(0), BigIntegerField())
    for token, points in sorted(units.items()):
        condition = has_token(token)
        if points and condition is not None:
            total += Case(When(condition, then=Value(points)), default=Value(0))
    step = [condition for token in weights.step_tokens if (condition := has_token(token))]
    if step:
        total += Case(When(reduce(operator.or_, step), then=Value(STEP_UNITS)), default=Value(0))
    return ExpressionWrapper(total, output_field=BigIntegerField())


def has_token(token: str) -> Q | None:
    """Meetings whose `meeting_tokens` include this token; None for a kind no meeting has."""
    kind, _, value = token.partition(":")
    if kind == "attendance":
        return Q(attendance_option=value)
    if kind == "program" and value == SECULAR:
        return Q(program__is_twelve_step=False) | Q(program__key=SECULAR)
    if kind == "program":
        return Q(program__key=value)
    if kind == "type":
        return _has_type_code(value)
    return None


def _has_type_code(code: str) -> Q:
    """Meetings whose types include exactly this code, case and all, as Python compares it."""
    if connection.vendor == "postgresql":
        # jsonb's `?` finds a string among an array's elements, a little faster than @>.
        return Q(types__has_key=code)
    if connection.vendor == "sqlite":
        # has_type's LIKE ignores case, and feeds keep unknown codes as given ("be"); instr()
        # does not. The JSON text holds each code quoted and escaped as json.dumps does.
        return Q(GreaterThan(StrIndex(Cast("types", TextField()), Value(json.dumps(code))), 0))
    return has_type(code)


def _has_type_in_either_case(codes: list[str]) -> Q:
    """Meetings with any of these codes, in upper or lower case, as feeds may spell them."""
    if connection.vendor == "postgresql":
        # One `?|` test per row instead of one containment test per spelling.
        spellings = sorted(
            {spelling for code in codes for spelling in (code.upper(), code.lower())}
        )
        return Q(types__has_any_keys=spellings) if spellings else Q()
    return reduce(operator.or_, [has_type(code) for code in codes], Q())


def _reason(matched: list[str], step_phrase: str, token_theme: dict) -> str:
    """One line: the features that fit, then what it does for the next ladder step."""
    # The two strongest features, read in a natural order: program, then venue, then kind.
    order = {"program": 0, "attendance": 1, "type": 2}
    strongest = sorted(matched[:2], key=lambda token: order.get(token.partition(":")[0], 3))
    phrases = [feature_phrase(token) for token in strongest if feature_phrase(token)]
    if not phrases:
        line = "Fits the client's days and preferences"
    else:
        line = " and ".join(phrases)
        line = line[0].upper() + line[1:]
    if step_phrase:
        return f"{line}: {step_phrase}."
    if matched:
        return f"{line}: may ease {token_theme[matched[0]][1].lower()}."
    return f"{line}."
