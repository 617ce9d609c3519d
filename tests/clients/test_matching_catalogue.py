"""Matching over the whole catalogue: the best fit is found wherever it sorts, in a constant
number of queries, and meetings the client has planned are not suggested again."""

import datetime
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import ResistanceTheme
from clients.selectors import matching
from clients.selectors.matching import (
    NEXT_STEP_WEIGHT,
    PREFERENCE_WEIGHT,
    SCORE_SCALE,
    candidate_meetings,
    client_weights,
    meeting_tokens,
    meetings_that_may_fit,
    planned_meetings,
)
from groups.models import Meeting, Program
from tests.factories import (
    MeetingFactory,
    MeetingPlanFactory,
    NoteThemeFactory,
    SessionNoteFactory,
)

TODAY = datetime.date(2026, 11, 24)


def tag(client, slug: str, intensity: int, day: datetime.date = TODAY) -> None:
    theme = ResistanceTheme.objects.get(practice=None, slug=slug)
    NoteThemeFactory(
        note=SessionNoteFactory(client=client, session_date=day), theme=theme, intensity=intensity
    )


def build_meetings(count: int, **fields) -> list[Meeting]:
    aa = Program.objects.get(key="AA")
    values = {
        "program": aa,
        "day": 0,
        "start_time": datetime.time(7, 0),
        "end_time": datetime.time(8, 0),
        "time_zone": "America/New_York",
        "attendance_option": "in_person",
        "types": ["C"],
    } | fields
    return Meeting.objects.bulk_create(
        [Meeting(name=f"Early Group {index}", **values) for index in range(count)]
    )


def names(suggestions) -> list[str]:
    return [s.meeting.name for s in suggestions]


# --- The whole catalogue ------------------------------------------------------------------


def test_the_best_fit_is_found_after_thousands_of_earlier_candidates(client_record):
    build_meetings(2_600)
    best = MeetingFactory(
        name="Sunday Night SMART",
        program=Program.objects.get(key="SMART"),
        day=6,
        start_time=datetime.time(21, 0),
        end_time=datetime.time(22, 0),
        attendance_option="online",
        types=["O"],
    )
    tag(client_record, "twelve-step-spirituality", 3)
    # In the candidates' own order (day, then time) the best fit comes last.
    order = list(candidate_meetings(client_record).values_list("pk", flat=True))
    assert order.index(best.pk) >= 2_500

    top = meetings_that_may_fit(client_record, today=TODAY, current_step=None)[0]

    assert top.meeting == best
    assert top.reason.startswith("SMART Recovery")


def test_query_count_does_not_grow_with_the_catalogue(client_record):
    tag(client_record, "fear-of-judgment", 3)
    client_record.latitude, client_record.longitude, client_record.max_distance_km = 43.6, -70.2, 50
    build_meetings(10, latitude=43.6, longitude=-70.2)
    with CaptureQueriesContext(connection) as small:
        assert len(meetings_that_may_fit(client_record, today=TODAY, current_step=1)) == 5
    build_meetings(3_000, latitude=43.6, longitude=-70.2, attendance_option="online")
    with CaptureQueriesContext(connection) as large:
        assert len(meetings_that_may_fit(client_record, today=TODAY, current_step=1)) == 5
    # The themes voiced, the head of the ranking, the chosen meetings in full.
    assert len(small) == len(large) == 3


def test_query_count_stays_bounded_when_one_series_fills_the_top(client_record):
    tag(client_record, "fear-of-judgment", 3)
    build_meetings(10)
    with CaptureQueriesContext(connection) as small:
        meetings_that_may_fit(client_record, today=TODAY, current_step=None)
    build_meetings(3_000, attendance_option="online", types=["BE"])
    Meeting.objects.filter(attendance_option="online").update(name="Online Newcomers")
    with CaptureQueriesContext(connection) as large:
        found = meetings_that_may_fit(client_record, today=TODAY, current_step=None)
    assert names(found)[0] == "Online Newcomers" and len(found) == 5
    # One more when the head of the ranking holds too few groups: the window over them all.
    assert len(small) == 3 and len(large) == 4


def test_a_group_with_many_meetings_still_leaves_room_for_others(client_record):
    # Twelve hundred meetings of one series outscore everything else: it shows once, and the
    # next groups still appear, however far down they sort.
    build_meetings(1_200, attendance_option="online", types=["BE", "O"])
    Meeting.objects.filter(name__startswith="Early Group").update(name="Online Newcomers")
    build_meetings(20)
    tag(client_record, "fear-of-judgment", 3)

    found = names(meetings_that_may_fit(client_record, today=TODAY, current_step=None))

    assert found[0] == "Online Newcomers"
    assert len(found) == 5 and len(set(found)) == 5


def test_a_womens_meeting_spelled_in_lower_case_is_only_for_those_who_asked(client_record):
    MeetingFactory(name="Women's Circle", types=["w", "O"])
    MeetingFactory(name="Open Discussion", types=["O", "D"])
    assert suggested(client_record) == ["Open Discussion"]
    client_record.group_preference = "W"
    assert "Women's Circle" in suggested(client_record)


# --- Plans ----------------------------------------------------------------------------------


@pytest.fixture
def newcomers(client_record):
    tag(client_record, "fear-of-judgment", 3)
    build_meetings(3)
    return MeetingFactory(name="Online Newcomers", types=["O", "BE"], attendance_option="online")


def suggested(client) -> list[str]:
    return names(meetings_that_may_fit(client, today=TODAY, current_step=None))


def test_a_planned_meeting_is_not_suggested_again(client_record, newcomers):
    assert suggested(client_record)[0] == "Online Newcomers"
    MeetingPlanFactory(client=client_record, meeting=newcomers, starts_on=TODAY)
    assert "Online Newcomers" not in suggested(client_record)


def test_a_cancelled_plan_does_not_hide_its_meeting(client_record, newcomers):
    MeetingPlanFactory(
        client=client_record,
        meeting=newcomers,
        starts_on=TODAY - datetime.timedelta(days=30),
        cancelled_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
    )
    assert suggested(client_record)[0] == "Online Newcomers"


def test_a_weekly_plan_that_has_ended_does_not_hide_its_meeting(client_record, newcomers):
    plan = MeetingPlanFactory(
        client=client_record,
        meeting=newcomers,
        starts_on=TODAY - datetime.timedelta(days=60),
        until=TODAY - datetime.timedelta(days=1),
    )
    assert suggested(client_record)[0] == "Online Newcomers"
    plan.until = TODAY
    plan.save()
    assert "Online Newcomers" not in suggested(client_record)


def test_a_one_off_plan_hides_its_meeting_until_its_week_is_over(client_record, newcomers):
    plan = MeetingPlanFactory(
        client=client_record,
        meeting=newcomers,
        recurrence="once",
        starts_on=TODAY - datetime.timedelta(days=6),
    )
    assert "Online Newcomers" not in suggested(client_record)
    plan.starts_on = TODAY - datetime.timedelta(days=7)
    plan.save()
    assert suggested(client_record)[0] == "Online Newcomers"


def test_another_clients_plan_does_not_hide_the_meeting(client_record, newcomers):
    MeetingPlanFactory(meeting=newcomers, starts_on=TODAY)
    assert suggested(client_record)[0] == "Online Newcomers"


# --- The same answer as scoring every candidate in Python ---------------------------------


def brute_force(client, *, today: datetime.date, step: int | None, limit: int) -> list[tuple]:
    """Score every candidate in Python, sort, keep each group's best: what matching promises."""
    weights = client_weights(client, today=today, current_step=step)
    planned = set(planned_meetings(client, today=today).values_list("meeting_id", flat=True))
    scored = []
    for meeting in candidate_meetings(client):
        if meeting.pk in planned:
            continue
        tokens = meeting_tokens(meeting)
        units = weights.score(tokens)
        # Whole units are the float points, to within rounding of each token's weight.
        points = sum(weights.token_points[token] for token in weights.matched(tokens))
        points += NEXT_STEP_WEIGHT * any(token in tokens for token in weights.step_tokens)
        points += PREFERENCE_WEIGHT * len(weights.wanted & tokens)
        assert abs(units / SCORE_SCALE - points) < 1e-3
        scored.append((units, meeting, tokens))
    scored.sort(key=lambda item: (-item[0], item[1].day, item[1].start_time, item[1].pk))
    best, seen = [], set()
    for units, meeting, tokens in scored:
        if (meeting.name, meeting.program_id) in seen:
            continue
        seen.add((meeting.name, meeting.program_id))
        best.append((meeting.pk, round(units / SCORE_SCALE, 2), weights.reason(tokens)))
    return best[:limit]


# Codes as feeds give them: a lowercase unknown code and a non-ASCII one must match exactly.
CODES = ["O", "C", "D", "SP", "BE", "be", "ST", "W", "M", "LGBTQ", "S", "MED", "A", "BA", "ÉS"]
NAMES = ["Hope", "Serenity", "Open Door", "New Day", "Clarity", "Step Up"]


def random_catalogue(rng: random.Random, count: int) -> None:
    programs = list(Program.objects.all())
    rows = []
    for _ in range(count):
        start = datetime.time(rng.choice((7, 12, 18, 19)), rng.choice((0, 30)))
        option = rng.choice(["online", "in_person", "hybrid"])
        rows.append(
            Meeting(
                # Few names, days and times: many groups on several days, many ties.
                name=rng.choice(NAMES),
                program=rng.choice(programs),
                day=rng.randrange(7),
                start_time=start,
                end_time=datetime.time(start.hour + 1, start.minute),
                time_zone="America/New_York",
                attendance_option=option,
                latitude=None if option == "online" else 43.6 + rng.uniform(-0.5, 0.5),
                longitude=None if option == "online" else -70.2 + rng.uniform(-0.5, 0.5),
                types=rng.sample(CODES, rng.randrange(0, 4)),
                is_active=rng.random() > 0.05,
            )
        )
    Meeting.objects.bulk_create(rows)


def random_client(rng: random.Random, client) -> None:
    client.attendance_preference = rng.choice(["any", "any", "online", "in_person"])
    client.program_preference = rng.choice(["any", "any", "secular", "twelve_step"])
    client.group_preference = rng.choice(["", "", "W", "M"])
    client.prefers_lgbtq_meetings = rng.random() < 0.3
    client.language = rng.choice(["", "", "S", "ÉS"])
    client.available_days = rng.sample(range(7), rng.randrange(0, 7))
    if rng.random() < 0.5:
        client.latitude, client.longitude, client.max_distance_km = 43.6, -70.2, 30
    own = ResistanceTheme.objects.create(
        practice=client.practice,
        slug=f"own-{rng.randrange(10**6)}",
        name="Own theme",
        description="A practice's own theme.",
        meeting_features=rng.sample(
            ["type:be", "type:ÉS", "type:A", "program:secular", "program:RD", "venue:x"], 3
        ),
    )
    curated = list(ResistanceTheme.objects.filter(practice=None))
    for theme in [own, *rng.sample(curated, 3)]:
        for _ in range(rng.randrange(1, 3)):
            NoteThemeFactory(
                note=SessionNoteFactory(
                    client=client,
                    session_date=TODAY - datetime.timedelta(days=rng.randrange(0, 130)),
                ),
                theme=theme,
                intensity=rng.randrange(1, 4),
            )


# With one head row per suggestion, any repeated group in the head sends matching to the
# window over every candidate: both ways are held to the brute force.
@pytest.mark.parametrize("head_rows", [1, 40])
@pytest.mark.parametrize("seed", range(6))
def test_matching_equals_scoring_every_candidate_in_python(
    client_record, seed, head_rows, monkeypatch
):
    monkeypatch.setattr(matching, "HEAD_ROWS_PER_SUGGESTION", head_rows)
    rng = random.Random(seed)
    random_catalogue(rng, 400)
    random_client(rng, client_record)
    client_record.save()
    for meeting in rng.sample(list(Meeting.objects.all()), 15):
        MeetingPlanFactory(
            client=client_record,
            meeting=meeting,
            starts_on=TODAY - datetime.timedelta(days=rng.randrange(0, 20)),
        )
    for step in (None, 2, 4, 6):
        expected = brute_force(client_record, today=TODAY, step=step, limit=8)
        found = meetings_that_may_fit(client_record, today=TODAY, current_step=step, limit=8)
        assert [(s.meeting.pk, s.score, s.reason) for s in found] == expected
