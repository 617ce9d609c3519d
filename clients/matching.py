"""Barrier-aware matching: meetings ranked by what this client has voiced and prefers.

Which meeting features lower which barrier is data, in each theme's `meeting_features`
(editable in the admin); this module only weighs it. A client's preferences are hard limits
(days, hours, online or in person, distance, secular or 12-step); themes, language, group and
the next ladder step give points.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from clients.models import (
    AttendancePreference,
    Client,
    GroupPreference,
    LadderStep,
    NoteTheme,
    ProgramPreference,
    ResistanceTheme,
)
from groups.features import SECULAR, feature_phrase
from groups.models import AttendanceOption, Meeting
from groups.selectors import active_meetings, distance_km, filter_near

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
GROUP_CODES = {"W", "M", "LGBTQ"}


@dataclass
class Suggestion:
    meeting: Meeting
    score: float
    reason: str
    distance: float | None = None


def theme_weights(client: Client, *, today: datetime.date) -> dict[str, float]:
    """Each recent theme's weight: intensity, decaying with age."""
    since = today - datetime.timedelta(days=THEME_WINDOW_DAYS)
    weights: dict[str, float] = defaultdict(float)
    rows = NoteTheme.objects.filter(note__client=client, note__session_date__gte=since).values_list(
        "theme_id", "intensity", "note__session_date"
    )
    for theme_id, intensity, day in rows:
        age = max((today - day).days, 0)
        weights[theme_id] += intensity * 0.5 ** (age / THEME_HALF_LIFE_DAYS)
    return weights


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
    for code in (GroupPreference.WOMEN, GroupPreference.MEN):
        if client.group_preference != code:
            meetings = meetings.exclude(types__icontains=f'"{code}"')
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


def meetings_that_may_fit(
    client: Client, *, today: datetime.date, current_step: int | None, limit: int = 5
) -> list[Suggestion]:
    """The best `limit` meetings for this client now, each with one line on why it fits."""
    weights = theme_weights(client, today=today)
    themes = ResistanceTheme.objects.in_bulk(list(weights))
    # token → (points, the theme it helps most with)
    token_points: dict[str, float] = defaultdict(float)
    token_theme: dict[str, tuple[float, str]] = {}
    for theme_id, weight in weights.items():
        for token in themes[theme_id].meeting_features:
            token_points[token] += weight
            if weight > token_theme.get(token, (0, ""))[0]:
                token_theme[token] = (weight, themes[theme_id].name)
    next_step = (current_step or 0) + 1
    step_tokens, step_phrase = NEXT_STEP_FEATURES.get(next_step, ([], ""))
    wanted = set()
    if client.language:
        wanted.add(f"type:{client.language}")
    if client.group_preference:
        wanted.add(f"type:{client.group_preference}")
    if client.prefers_lgbtq_meetings:
        wanted.add("type:LGBTQ")

    suggestions = []
    for meeting in candidate_meetings(client)[:2000]:
        tokens = meeting_tokens(meeting)
        matched = sorted(
            (token for token in tokens if token in token_points),
            key=lambda token: -token_points[token],
        )
        score = sum(token_points[token] for token in matched)
        step_match = [token for token in step_tokens if token in tokens]
        score += NEXT_STEP_WEIGHT * bool(step_match)
        score += PREFERENCE_WEIGHT * len(wanted & tokens)
        suggestions.append((score, meeting, matched, step_match))
    suggestions.sort(key=lambda item: (-item[0], item[1].day, item[1].start_time, item[1].pk))

    results: list[Suggestion] = []
    seen: set[tuple[str, int]] = set()
    for score, meeting, matched, step_match in suggestions:
        if len(results) == limit:
            break
        # One line per group: a series held on several days shows once, at its best day.
        if (meeting.name, meeting.program_id) in seen:
            continue
        seen.add((meeting.name, meeting.program_id))
        results.append(
            Suggestion(
                meeting=meeting,
                score=round(score, 2),
                reason=_reason(matched, step_match and step_phrase, token_theme),
                distance=distance_km(
                    client.latitude, client.longitude, meeting.latitude, meeting.longitude
                )
                if client.latitude is not None and meeting.latitude is not None
                else None,
            )
        )
    return results


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
