"""BMLT GetSearchResults import, against fixtures written from the root server's resources."""

import datetime
from pathlib import Path

import pytest

from groups.importers import SourceError, feed_import
from groups.importers.bmlt import format_types
from groups.models import AttendanceOption, Feed, FeedFormat, Meeting, Program

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def feed():
    return Feed.objects.create(
        name="Greater NA Area",
        format=FeedFormat.BMLT,
        source=str(FIXTURES / "bmlt_search_results.json"),
        default_time_zone="America/Denver",
    )


def meeting(feed, key) -> Meeting:
    return Meeting.objects.get(feed=feed, source_key=key)


def bmlt(**fields):
    return {
        "id_bigint": "42",
        "weekday_tinyint": "3",
        "venue_type": "1",
        "start_time": "19:00:00",
        "duration_time": "01:00:00",
        "meeting_name": "Clean and Serene",
        "location_street": "1 Main St",
        **fields,
    }


def test_search_results_import_the_good_meetings_and_reject_the_rest(feed):
    report = feed_import(feed=feed)

    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert report.rejected == [
        {"key": "1004", "reason": "day 8 is outside 1 (Sunday) to 7 (Saturday)"},
        {"key": "1005", "reason": "no name"},
    ]
    assert set(Meeting.objects.filter(feed=feed).values_list("program__key", flat=True)) == {"NA"}


def test_an_in_person_meeting_maps_every_field(feed):
    feed_import(feed=feed)

    sunday = meeting(feed, "1001")
    assert sunday.name == "Sunday Night Recovery"
    assert sunday.day == 0  # weekday_tinyint 1 is Sunday
    assert (sunday.start_time, sunday.end_time) == (datetime.time(19, 0), datetime.time(20, 30))
    assert sunday.time_zone == "America/New_York"
    assert sunday.attendance_option == AttendanceOption.IN_PERSON
    assert sunday.location_name == "St. Mark's Church"
    assert (sunday.address, sunday.city, sunday.region) == ("123 W 44th St", "New York", "NY")
    assert (sunday.postal_code, sunday.country) == ("10036", "US")
    assert sunday.feed_regions == ["Midtown"]
    assert (sunday.latitude, sunday.longitude) == (40.758, -73.9855)
    assert sunday.location_notes == "Basement, enter from the side door"
    assert sunday.notes == "Coffee from 6:30 pm."
    # O open; BT the Basic Text (literature); WC wheelchair; St step study.
    assert sunday.types == ["O", "LIT", "X", "ST"]


def test_a_virtual_meeting_keeps_its_link_phone_and_notes(feed):
    feed_import(feed=feed)

    saturday = meeting(feed, "1002")
    assert saturday.day == 6
    assert (saturday.start_time, saturday.end_time) == (datetime.time(23, 30), datetime.time(0, 30))
    assert saturday.time_zone == "America/Denver"  # empty time_zone: the feed's default
    assert saturday.attendance_option == AttendanceOption.ONLINE
    assert saturday.conference_url == "https://zoom.us/j/5551234567"
    assert saturday.conference_url_notes == "Passcode: hope"
    assert saturday.conference_phone == "+16465550100,,5551234567#"
    assert (saturday.latitude, saturday.longitude) == (None, None)  # "0", "0" means none
    assert saturday.types == ["C", "ONL", "SP", "LGBTQ"]


def test_a_hybrid_meeting_without_a_duration_lasts_an_hour(feed):
    feed_import(feed=feed)

    lunch = meeting(feed, "1003")
    assert lunch.attendance_option == AttendanceOption.HYBRID
    assert (lunch.start_time, lunch.end_time) == (datetime.time(12, 15), datetime.time(13, 15))
    assert lunch.types == ["BE", "D", "HY", "W"]  # HY has no Meeting Guide code: kept


def test_reimport_changes_nothing_and_a_vanished_meeting_is_deactivated(feed):
    feed_import(feed=feed)

    again = feed_import(feed=feed)
    assert (again.created, again.updated, again.unchanged, again.deactivated) == (0, 0, 3, 0)

    fewer = feed_import(feed=feed, records_or_source=[bmlt(id_bigint="1001")])
    assert (fewer.deactivated, fewer.updated) == (2, 1)  # 1002 and 1003 gone, 1001 changed
    assert Meeting.objects.filter(feed=feed, is_active=True).count() == 1


def test_a_get_used_formats_answer_maps_keys_through_their_world_ids(feed):
    report = feed_import(
        feed=feed, records_or_source=(FIXTURES / "bmlt_with_formats.json").read_bytes()
    )

    assert report.created == 1
    berlin = meeting(feed, "2001")
    # German keys: A (Anfänger) is BEG, GT (Grundtext) is BT; RS has no world id and is kept.
    assert berlin.types == ["BE", "LIT", "RS"]
    assert (berlin.day, berlin.time_zone) == (1, "Europe/Berlin")
    assert berlin.address == "Hauptstraße 1"


@pytest.mark.parametrize(
    ("formats", "types"),
    [
        ("O,C", ["O", "C"]),
        ("B", ["BE"]),
        ("BT", ["LIT"]),
        ("SPK", ["SP"]),
        ("So", ["SP"]),
        ("SD", ["SP", "D"]),
        ("D,St,Tr", ["D", "ST", "TR"]),
        ("W,M,YP", ["W", "M", "Y"]),
        ("WCHR", ["X"]),
        ("WC", ["X"]),
        ("GL", ["LGBTQ"]),
        ("LGBTQ", ["LGBTQ"]),
        ("VM,TC", ["ONL", "TC"]),
        ("ES", ["S"]),
        ("Ti,NC", ["Ti", "NC"]),
        ("O, ,O,", ["O"]),
        ("", []),
    ],
)
def test_common_format_keys_map_to_meeting_guide_codes(formats, types):
    assert format_types(formats, {}) == types


@pytest.mark.parametrize(
    ("fields", "option"),
    [
        ({"venue_type": "1"}, "in_person"),
        ({"venue_type": "2", "virtual_meeting_link": "https://zoom.us/j/1"}, "online"),
        ({"venue_type": "3", "virtual_meeting_link": "https://zoom.us/j/1"}, "hybrid"),
        ({"venue_type": "", "virtual_meeting_link": "https://zoom.us/j/1"}, "hybrid"),
        ({"venue_type": "", "phone_meeting_number": "+1555", "location_street": ""}, "online"),
    ],
)
def test_venue_type_sets_attendance_and_its_absence_is_derived(feed, fields, option):
    feed_import(feed=feed, records_or_source=[bmlt(**fields)])

    assert meeting(feed, "42").attendance_option == option


def test_an_unknown_venue_type_is_derived_with_a_warning(feed):
    report = feed_import(feed=feed, records_or_source=[bmlt(venue_type="9")])

    assert meeting(feed, "42").attendance_option == AttendanceOption.IN_PERSON
    assert report.warnings == [
        {"key": "42", "warning": "venue_type '9' unknown: derived from the record instead"}
    ]


def test_an_unpublished_meeting_is_imported_inactive(feed):
    feed_import(feed=feed, records_or_source=[bmlt(published="0")])

    assert not meeting(feed, "42").is_active


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"id_bigint": ""}, "no id_bigint: it is the meeting's key"),
        ({"weekday_tinyint": "0"}, "day 0 is outside 1 (Sunday) to 7 (Saturday)"),
        ({"start_time": "7 in the evening"}, "start_time '7 in the evening' is not a time (HH:MM)"),
        (
            {"duration_time": "90 minutes"},
            "duration_time '90 minutes' is not a duration (HH:MM:SS)",
        ),
        ({"time_zone": "Nowhere/Special"}, "time zone 'Nowhere/Special' is unknown"),
    ],
)
def test_impossible_records_are_rejected_with_a_reason(feed, fields, reason):
    report = feed_import(feed=feed, records_or_source=[bmlt(**fields), bmlt(id_bigint="7")])

    assert report.created == 1  # the good record beside it is imported all the same
    assert len(report.rejected) == 1
    assert report.rejected[0]["reason"].startswith(reason)


def test_a_repeated_id_is_rejected(feed):
    report = feed_import(feed=feed, records_or_source=[bmlt(), bmlt(meeting_name="Again")])

    assert report.rejected == [{"key": "42", "reason": "duplicate key: an earlier record has it"}]
    assert meeting(feed, "42").name == "Clean and Serene"


@pytest.mark.parametrize(
    "payload", [b"", b"callback([])", b'{"formats": []}', b"42", b'{"meetings": {"1": {}}}']
)
def test_a_source_that_is_not_a_list_of_meetings_is_an_error(feed, payload):
    with pytest.raises(SourceError, match="BMLT feed"):
        feed_import(feed=feed, records_or_source=payload)
    assert not Meeting.objects.exists()


def test_the_feeds_default_program_wins_over_na(feed):
    feed.default_program = Program.objects.get(key="CA")
    feed.save()

    feed_import(feed=feed, records_or_source=[bmlt()])

    assert meeting(feed, "42").program.key == "CA"
