"""Meeting Guide JSON import: field mapping, rejections, and the idempotent upsert."""

import datetime
import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from groups.importers import SourceError, feed_import
from groups.importers.fields import RecordError, parse_day, parse_time
from groups.models import AttendanceOption, Feed, FeedFormat, Meeting, Program

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
TRICKY = FIXTURES / "meeting_guide_tricky.json"


@pytest.fixture
def feed():
    return Feed.objects.create(
        name="Intergroup",
        format=FeedFormat.MEETING_GUIDE,
        source=str(TRICKY),
        default_time_zone="America/New_York",
    )


def record(**fields):
    return {"name": "Tuesday Night", "slug": "tuesday-night", "day": 2, "time": "19:00", **fields}


def meeting(feed, key) -> Meeting:
    return Meeting.objects.get(feed=feed, source_key=key)


def test_tricky_feed_imports_the_good_records_and_rejects_the_rest_with_reasons(feed):
    report = feed_import(feed=feed)

    assert report.created == 9  # seven good records, one of them on three days
    rejected = {entry["key"]: entry["reason"] for entry in report.rejected}
    assert rejected == {
        "no-name": "no name",
        "eighth-day": "day 7 is outside 0 (Sunday) to 6 (Saturday)",
        "too-late": "time '25:00' is not a possible time",
        "#11": "no slug: the spec requires one, and it is the meeting's key",
        "red-planet": "time zone 'Mars/Olympus' is unknown (expected e.g. America/New_York)",
        "sunday-serenity-14": "duplicate key: an earlier record has it",
        "#14": "not a meeting record (a JSON object)",
    }
    assert Meeting.objects.filter(feed=feed).count() == 9
    # The first of the two "sunday-serenity-14" records is the one kept.
    assert meeting(feed, "sunday-serenity-14").name == "Sunday Serenity"


def test_the_spec_example_maps_onto_the_meeting(feed):
    feed_import(feed=feed)

    serenity = meeting(feed, "sunday-serenity-14")
    assert serenity.program == Program.objects.get(key="AA")
    assert (serenity.day, serenity.start_time, serenity.end_time) == (
        0,
        datetime.time(18, 0),
        datetime.time(19, 30),
    )
    assert serenity.time_zone == "America/Los_Angeles"
    assert serenity.location_name == "Alano Club"
    assert (serenity.address, serenity.city, serenity.region) == (
        "123 Main Street",
        "Anytown",
        "CA",
    )
    assert (serenity.postal_code, serenity.country) == ("98765", "US")
    assert serenity.feed_regions == ["Downtown", "Historic District"]
    assert serenity.location_notes == "Side door, down the stairs."
    assert serenity.notes == "Ring buzzer. Meeting is on the 2nd floor."
    assert serenity.types == ["O", "T", "LGBTQ"]
    assert serenity.attendance_option == AttendanceOption.IN_PERSON
    assert serenity.source_updated_at == datetime.datetime(
        2014, 5, 31, 14, 32, 23, tzinfo=datetime.UTC
    )
    assert serenity.is_active


def test_a_day_list_makes_one_meeting_per_day_keyed_slug_and_day(feed):
    feed_import(feed=feed)

    early = Meeting.objects.filter(feed=feed, name="Early Bird Step Study").order_by("day")
    assert [(m.source_key, m.day) for m in early] == [
        ("early-bird-1", 1),
        ("early-bird-3", 3),
        ("early-bird-5", 5),
    ]
    first = early[0]
    assert (first.start_time, first.end_time) == (datetime.time(7, 0), datetime.time(8, 0))
    assert first.time_zone == "America/Chicago"
    # Known codes in the spec's spelling, unknown and legacy ones kept, duplicates dropped.
    assert first.types == ["ST", "12x12", "ONL", "CUSTOM-9", "O"]
    assert (first.address, first.city, first.region, first.postal_code, first.country) == (
        "4953 W Addison St",
        "Chicago",
        "IL",
        "60641",
        "USA",
    )
    assert (first.latitude, first.longitude) == (41.94664, -87.75035)
    assert first.attendance_option == AttendanceOption.HYBRID
    assert first.conference_url_notes == "Password: 1234"


def test_a_missing_end_time_is_an_hour_later_even_past_midnight(feed):
    feed_import(feed=feed)

    owls = meeting(feed, "night-owls")
    assert (owls.day, owls.start_time, owls.end_time) == (
        6,
        datetime.time(23, 30),
        datetime.time(0, 30),
    )
    assert owls.duration == datetime.timedelta(hours=1)
    assert owls.feed_regions == ["Chicago", "Wicker Park"]
    assert owls.time_zone == "America/New_York"  # the feed's default: the record names none
    assert (owls.latitude, owls.longitude) == (41.9088, -87.6796)


def test_a_bad_map_pin_and_a_bad_link_are_dropped_and_reported_not_the_meeting(feed):
    report = feed_import(feed=feed)

    lost = meeting(feed, "lost-pin")
    assert (lost.latitude, lost.longitude) == (None, None)
    assert lost.conference_url == ""
    assert lost.conference_phone == "+14085550100"
    assert lost.attendance_option == AttendanceOption.HYBRID  # phone + street address
    assert lost.notes == "<b>Bring</b> a friend &amp; a book <3"  # trimmed, kept as given
    assert lost.source_updated_at == datetime.datetime(2021, 8, 29, tzinfo=datetime.UTC)
    warnings = [w["warning"] for w in report.warnings if w["key"] == "lost-pin"]
    assert warnings == [
        "coordinates 123.4, -122.03 dropped: not on Earth",
        "conference_url 'call us for the link' dropped: not a web address",
    ]


@pytest.mark.parametrize(
    ("fields", "option", "active"),
    [
        ({"formatted_address": "1 Main St, Dover, DE 19901, USA"}, "in_person", True),
        ({"conference_url": "https://zoom.us/j/1"}, "online", True),
        (
            {"conference_phone": "+13025550100", "formatted_address": "Dover, DE, USA"},
            "online",
            True,
        ),
        (
            {
                "conference_url": "https://zoom.us/j/1",
                "formatted_address": "1 Main St, Dover, DE, USA",
            },
            "hybrid",
            True,
        ),
        ({"conference_url": "https://zoom.us/j/1", "address": "1 Main St"}, "hybrid", True),
        (
            {"conference_url": "https://zoom.us/j/1", "address": "1 Main St", "approximate": "yes"},
            "online",
            True,
        ),
        (
            {"conference_url": "https://zoom.us/j/1", "address": "1 Main St", "types": ["TC"]},
            "online",
            True,
        ),
        ({"address": "1 Main St", "types": ["TC"]}, "online", False),
        ({"address": "1 Main St", "types": ["ONL"]}, "in_person", True),  # no way to join
        ({"attendance_option": "hybrid"}, "hybrid", True),
        ({"attendance_option": "online", "address": "1 Main St"}, "online", True),
        ({"attendance_option": "inactive", "address": "1 Main St"}, "in_person", False),
        (
            {"attendance_option": "sometimes", "conference_url": "https://zoom.us/j/1"},
            "online",
            True,
        ),
    ],
)
def test_attendance_option_is_taken_where_given_and_derived_otherwise(feed, fields, option, active):
    feed_import(feed=feed, records_or_source=[record(**fields)])

    tuesday = meeting(feed, "tuesday-night")
    assert (tuesday.attendance_option, tuesday.is_active) == (option, active)


def test_the_tricky_feed_derives_attendance_as_twelve_step_meeting_list_does(feed):
    feed_import(feed=feed)

    assert meeting(feed, "closed-room").attendance_option == AttendanceOption.ONLINE
    closed = meeting(feed, "closed-no-link")
    assert (closed.attendance_option, closed.is_active) == (AttendanceOption.ONLINE, False)
    listed = meeting(feed, "listed-inactive")
    assert (listed.attendance_option, listed.is_active) == (AttendanceOption.IN_PERSON, False)


def test_reimporting_the_same_file_writes_nothing(feed):
    first = feed_import(feed=feed)
    stamps = dict(Meeting.objects.values_list("pk", "updated_at"))

    with CaptureQueriesContext(connection) as queries:
        second = feed_import(feed=feed)

    assert (second.created, second.updated, second.deactivated) == (0, 0, 0)
    assert second.unchanged == first.created == 9
    assert second.rejected == first.rejected
    meeting_queries = [q["sql"] for q in queries.captured_queries if "groups_meeting" in q["sql"]]
    assert len(meeting_queries) == 1  # the one read of the feed's stored meetings
    assert meeting_queries[0].lstrip().upper().startswith("SELECT")
    assert dict(Meeting.objects.values_list("pk", "updated_at")) == stamps


def test_a_changed_record_is_updated_and_the_rest_left_alone(feed):
    records = [record(), record(slug="wednesday", day=3)]
    feed_import(feed=feed, records_or_source=records)
    untouched = meeting(feed, "wednesday").updated_at

    records[0]["time"] = "19:30"
    report = feed_import(feed=feed, records_or_source=records)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert meeting(feed, "tuesday-night").start_time == datetime.time(19, 30)
    assert meeting(feed, "tuesday-night").end_time == datetime.time(20, 30)
    assert meeting(feed, "wednesday").updated_at == untouched


def test_a_meeting_gone_from_the_feed_is_deactivated_then_reactivated_when_it_returns(feed):
    feed_import(feed=feed, records_or_source=[record(), record(slug="wednesday", day=3)])
    kept_pk = meeting(feed, "wednesday").pk

    gone = feed_import(feed=feed, records_or_source=[record()])
    assert (gone.deactivated, gone.unchanged) == (1, 1)
    wednesday = Meeting.objects.get(pk=kept_pk)  # the row is still there for plans to point at
    assert not wednesday.is_active

    again = feed_import(feed=feed, records_or_source=[record()])
    assert (again.deactivated, again.unchanged) == (0, 1)  # already inactive: not counted twice

    back = feed_import(feed=feed, records_or_source=[record(), record(slug="wednesday", day=3)])
    assert (back.updated, back.unchanged, back.created) == (1, 1, 0)
    assert Meeting.objects.get(pk=kept_pk).is_active


def test_meetings_of_other_feeds_are_never_deactivated(feed):
    other = Feed.objects.create(name="Other", format=FeedFormat.MEETING_GUIDE, source="x.json")
    feed_import(feed=other, records_or_source=[record()])

    feed_import(feed=feed, records_or_source=[record(slug="mine")])

    assert meeting(other, "tuesday-night").is_active


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"<html>Not found</html>", "The Meeting Guide feed is not JSON (line 1, column 1"),
        (b'{"meetings": []}', "The Meeting Guide feed is an object, not a list of meetings."),
        (b'"[]"', "The Meeting Guide feed is a string, not a list of meetings."),
        (b'[{"name": "Caf\xe9"}]', "The Meeting Guide feed is not text in UTF-8."),
    ],
)
def test_a_source_that_is_not_a_json_list_is_an_error_and_changes_nothing(feed, payload, message):
    feed_import(feed=feed, records_or_source=[record()])
    before = list(Meeting.objects.values_list("pk", "is_active", "updated_at"))
    feed.refresh_from_db()
    last = (feed.last_imported_at, feed.last_report)

    with pytest.raises(SourceError) as error:
        feed_import(feed=feed, records_or_source=payload)

    assert message in str(error.value)
    assert list(Meeting.objects.values_list("pk", "is_active", "updated_at")) == before
    feed.refresh_from_db()
    assert (feed.last_imported_at, feed.last_report) == last


def test_an_empty_list_deactivates_everything_it_had(feed):
    feed_import(feed=feed, records_or_source=[record()])

    report = feed_import(feed=feed, records_or_source=b"[]")

    assert report.deactivated == 1
    assert not meeting(feed, "tuesday-night").is_active


def test_the_report_is_kept_on_the_feed(feed):
    report = feed_import(feed=feed)

    feed.refresh_from_db()
    assert feed.last_imported_at is not None
    assert feed.last_report == json.loads(json.dumps(report.as_dict()))
    assert feed.last_report["created"] == 9


def test_the_program_is_the_feeds_default_else_aa(feed):
    feed_import(feed=feed, records_or_source=[record()])
    assert meeting(feed, "tuesday-night").program.key == "AA"

    feed.default_program = Program.objects.get(key="CA")
    feed.save()
    report = feed_import(feed=feed, records_or_source=[record()])

    assert report.updated == 1
    assert meeting(feed, "tuesday-night").program.key == "CA"


def test_a_start_time_is_kept_as_wall_clock_time_across_daylight_saving(feed):
    feed_import(feed=feed, records_or_source=[record(time="19:00", timezone="America/New_York")])

    tuesday = meeting(feed, "tuesday-night")
    winter = next(tuesday.occurrences(_utc(2026, 1, 1), _utc(2026, 1, 8)))
    summer = next(tuesday.occurrences(_utc(2026, 7, 1), _utc(2026, 7, 8)))
    assert (winter.hour, summer.hour) == (0, 23)  # 19:00 EST and 19:00 EDT, in UTC
    assert tuesday.start_time == datetime.time(19, 0)


def _utc(year, month, day):
    return datetime.datetime(year, month, day, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("19:00", datetime.time(19, 0)),
        ("7:00", datetime.time(7, 0)),
        ("07:05", datetime.time(7, 5)),
        ("19:00:00", datetime.time(19, 0)),
        (" 7:30 pm ", datetime.time(19, 30)),
        ("12:00 AM", datetime.time(0, 0)),
        ("12:15 p.m.", datetime.time(12, 15)),
    ],
)
def test_times_are_read_in_the_shapes_feeds_write(raw, expected):
    assert parse_time(raw) == expected


@pytest.mark.parametrize("raw", ["24:00", "19:60", "7pm", "", None, "13:00 pm", "19:00:61", "noon"])
def test_impossible_times_are_refused(raw):
    with pytest.raises(RecordError):
        parse_time(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [(0, 0), (6, 6), ("3", 3), (" 4 ", 4), ("Monday", 1), ("sat", 6), (2.0, 2)]
)
def test_days_are_read_as_integers_digit_strings_or_names(raw, expected):
    assert parse_day(raw) == expected


@pytest.mark.parametrize("raw", [-1, 7, "7", "", None, True, 2.5, "someday", [1]])
def test_impossible_days_are_refused(raw):
    with pytest.raises(RecordError):
        parse_day(raw)


def test_an_empty_day_list_is_rejected_as_not_weekly(feed):
    report = feed_import(feed=feed, records_or_source=[record(day=[])])

    assert report.rejected == [
        {"key": "tuesday-night", "reason": "no day: only weekly meetings can be imported"}
    ]


def test_a_day_list_with_a_bad_day_rejects_the_whole_record(feed):
    report = feed_import(feed=feed, records_or_source=[record(day=[1, 9])])

    assert report.created == 0
    assert report.rejected[0]["key"] == "tuesday-night"


def test_over_long_values_are_cut_to_their_column_and_reported(feed):
    report = feed_import(
        feed=feed, records_or_source=[record(name="N" * 300, postal_code="9" * 30)]
    )

    tuesday = meeting(feed, "tuesday-night")
    assert (len(tuesday.name), len(tuesday.postal_code)) == (255, 20)
    assert {w["warning"] for w in report.warnings} == {
        "name cut to 255 characters",
        "postal_code cut to 20 characters",
    }


def test_a_bare_conference_host_gains_its_scheme(feed):
    feed_import(feed=feed, records_or_source=[record(conference_url="zoom.us/j/123")])

    assert meeting(feed, "tuesday-night").conference_url == "https://zoom.us/j/123"


def test_a_meeting_whose_record_turns_bad_is_deactivated_and_keeps_its_last_good_values(feed):
    feed_import(feed=feed, records_or_source=[record()])

    report = feed_import(feed=feed, records_or_source=[record(time="tonight")])

    assert report.rejected == [
        {"key": "tuesday-night", "reason": "time 'tonight' is not a time (HH:MM)"}
    ]
    tuesday = meeting(feed, "tuesday-night")
    assert (tuesday.is_active, tuesday.start_time) == (False, datetime.time(19, 0))
