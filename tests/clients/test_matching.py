"""Barrier-aware matching: themes, preferences and the next ladder step rank meetings."""

import datetime

import pytest

from clients.models import ResistanceTheme
from clients.selectors.matching import meetings_that_may_fit
from groups.models import Program
from tests.factories import MeetingFactory, NoteThemeFactory, SessionNoteFactory

TODAY = datetime.date(2026, 11, 24)


@pytest.fixture
def meetings(db):
    smart = Program.objects.get(key="SMART")
    return {
        "aa_big_room": MeetingFactory(
            name="Big Book Speaker Night", day=5, types=["C", "B"], attendance_option="in_person"
        ),
        "aa_online_newcomers": MeetingFactory(
            name="Online Newcomers", day=1, types=["O", "BE"], attendance_option="online"
        ),
        "smart_online": MeetingFactory(
            name="SMART Online", day=3, program=smart, types=["O"], attendance_option="online"
        ),
        "women": MeetingFactory(name="Women's Circle", day=4, types=["W", "O"]),
    }


def tag(client, slug: str, intensity: int, day: datetime.date = TODAY) -> None:
    theme = ResistanceTheme.objects.get(practice=None, slug=slug)
    NoteThemeFactory(
        note=SessionNoteFactory(client=client, session_date=day), theme=theme, intensity=intensity
    )


def ranked(client, step=None) -> list[str]:
    return [
        s.meeting.name
        for s in meetings_that_may_fit(client, today=TODAY, current_step=step, limit=10)
    ]


def test_spirituality_objection_puts_secular_programs_first(client_record, meetings):
    tag(client_record, "twelve-step-spirituality", 3)
    assert ranked(client_record)[0] == "SMART Online"


def test_fear_of_judgment_puts_online_newcomer_meetings_first(client_record, meetings):
    tag(client_record, "fear-of-judgment", 3)
    assert ranked(client_record)[0] == "Online Newcomers"


def test_changing_themes_changes_the_order(client_record, meetings):
    tag(client_record, "fear-of-judgment", 3)
    before = ranked(client_record)
    # A strong new objection to 12-step spirituality overtakes the older fear.
    tag(client_record, "twelve-step-spirituality", 3, day=TODAY + datetime.timedelta(days=0))
    tag(client_record, "twelve-step-spirituality", 3, day=TODAY - datetime.timedelta(days=7))
    after = ranked(client_record)
    assert after.index("SMART Online") < before.index("SMART Online")


def test_old_themes_count_less_than_recent_ones(client_record, meetings):
    tag(client_record, "fear-of-judgment", 3, day=TODAY - datetime.timedelta(days=100))
    tag(client_record, "twelve-step-spirituality", 2)
    assert ranked(client_record)[0] == "SMART Online"


def test_each_suggestion_says_why_in_one_line(client_record, meetings):
    tag(client_record, "fear-of-judgment", 3)
    top = meetings_that_may_fit(client_record, today=TODAY, current_step=1)[0]
    assert top.meeting.name == "Online Newcomers"
    assert top.reason == "Online and open to newcomers: you can listen with the camera off."


def test_preferences_are_hard_limits(client_record, meetings):
    client_record.attendance_preference = "in_person"
    client_record.available_days = [5]
    assert ranked(client_record) == ["Big Book Speaker Night"]


def test_secular_preference_excludes_twelve_step_programs(client_record, meetings):
    client_record.program_preference = "secular"
    assert ranked(client_record) == ["SMART Online"]


def test_gender_specific_meetings_only_for_those_who_asked(client_record, meetings):
    assert "Women's Circle" not in ranked(client_record)
    client_record.group_preference = "W"
    assert ranked(client_record)[0] == "Women's Circle"


def test_the_next_ladder_step_favours_in_person_after_online(client_record, meetings):
    # Step 3 reached (attended online): step 4 is an in-person meeting as a listener.
    assert ranked(client_record, step=3)[0] in {"Big Book Speaker Night", "Women's Circle"}
    assert ranked(client_record, step=1)[0] in {"Online Newcomers", "SMART Online"}


def test_distance_limits_in_person_but_not_online(client_record, meetings):
    meetings["aa_big_room"].latitude, meetings["aa_big_room"].longitude = 43.66, -70.26
    meetings["aa_big_room"].save()
    client_record.latitude, client_record.longitude, client_record.max_distance_km = 40.7, -74.0, 30
    names = ranked(client_record)
    assert "Big Book Speaker Night" not in names
    assert "Online Newcomers" in names


def test_a_series_on_several_days_shows_once(client_record, meetings):
    for day in (0, 2, 6):
        MeetingFactory(
            name="Online Newcomers", day=day, types=["O", "BE"], attendance_option="online"
        )
    assert ranked(client_record).count("Online Newcomers") == 1


def test_inactive_meetings_are_never_suggested(client_record, meetings):
    meetings["smart_online"].is_active = False
    meetings["smart_online"].save()
    tag(client_record, "twelve-step-spirituality", 3)
    assert "SMART Online" not in ranked(client_record)
