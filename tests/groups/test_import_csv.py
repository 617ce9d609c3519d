"""CSV import: a practice's own list, with the columns the README documents."""

import datetime
from pathlib import Path

import pytest

from groups.importers import SourceError, feed_import
from groups.models import AttendanceOption, Feed, FeedFormat, Meeting, Program

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = "key,name,program,day,time"


@pytest.fixture
def feed():
    return Feed.objects.create(
        name="Harbor Light list",
        format=FeedFormat.CSV,
        source=str(FIXTURES / "practice_meetings.csv"),
        default_time_zone="America/New_York",
    )


def meeting(feed, key) -> Meeting:
    return Meeting.objects.get(feed=feed, source_key=key)


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_the_practice_list_imports_its_good_rows_and_rejects_the_rest(feed):
    report = feed_import(feed=feed)

    assert report.created == 4
    assert report.rejected == [
        {"key": "#5", "reason": "no key"},
        {"key": "bad-program", "reason": "unknown program 'XYZ'"},
        {"key": "bad-day", "reason": "day 'Funday' is not a day of the week"},
        {"key": "smart-tue", "reason": "duplicate key: an earlier record has it"},
    ]


def test_columns_map_onto_the_meeting(feed):
    feed_import(feed=feed)

    smart = meeting(feed, "smart-tue")
    assert smart.program == Program.objects.get(key="SMART")
    assert smart.name == "SMART Recovery Tuesday"  # the first smart-tue row, not the duplicate
    assert (smart.day, smart.start_time, smart.end_time) == (
        2,
        datetime.time(18, 30),
        datetime.time(20, 0),
    )
    assert smart.attendance_option == AttendanceOption.IN_PERSON
    assert (smart.location_name, smart.address, smart.city) == (
        "Harbor Light Library",
        "12 Fore St",
        "Portland",
    )
    assert (smart.region, smart.postal_code, smart.country) == ("ME", "04101", "US")
    assert (smart.latitude, smart.longitude) == (43.6591, -70.2568)
    assert smart.types == ["O", "D"]
    assert smart.feed_regions == ["Portland", "Old Port"]
    assert (smart.notes, smart.location_notes) == ("Bring a notebook.", "Room 2 upstairs")

    dharma = meeting(feed, "rd-online")
    assert dharma.program.key == "RD"
    assert (dharma.day, dharma.end_time) == (3, datetime.time(20, 0))
    assert dharma.attendance_option == AttendanceOption.ONLINE
    assert (dharma.conference_url, dharma.conference_url_notes) == (
        "https://meet.example.org/dharma",
        "Camera optional",
    )
    assert dharma.time_zone == "America/New_York"

    big_book = meeting(feed, "aa-wed")
    assert big_book.program.key == "AA"  # program keys are read case-insensitively
    assert big_book.types == ["B", "C"]

    lifering = meeting(feed, "lifering")
    assert (lifering.day, lifering.attendance_option) == (6, AttendanceOption.HYBRID)
    assert lifering.conference_phone == "+12075550100"


def test_reimporting_the_same_csv_changes_nothing(feed):
    feed_import(feed=feed)

    again = feed_import(feed=feed)

    assert (again.created, again.updated, again.unchanged, again.deactivated) == (0, 0, 4, 0)


def test_a_row_without_a_program_takes_the_feeds_or_is_rejected(feed):
    rows = csv_bytes(HEADER, "a,Open Discussion,,1,19:00")

    report = feed_import(feed=feed, records_or_source=rows)
    assert report.rejected == [
        {"key": "a", "reason": "no program: name one in the program column or with --program"}
    ]

    report = feed_import(feed=feed, records_or_source=rows, program_key="SMART")
    assert report.created == 1
    assert meeting(feed, "a").program.key == "SMART"


def test_key_may_be_called_id_and_headers_ignore_case_spacing_and_a_bom(feed):
    rows = "\ufeffID, Name ,PROGRAM,Day,Time,End Time\nx1,Morning Check-in,AA,Mon,7:00 am,8:15\n"

    report = feed_import(feed=feed, records_or_source=rows.encode())

    assert report.created == 1
    morning = meeting(feed, "x1")
    assert (morning.day, morning.start_time, morning.end_time) == (
        1,
        datetime.time(7, 0),
        datetime.time(8, 15),
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "The CSV file is empty: it needs a header row."),
        (b"name,day,time\nA,1,19:00\n", "The CSV file has no key column"),
        (b"key,name\na,A\n", "The CSV file has no day, time column"),
        ("key,name,day,time\na,Café,1,19:00\n".encode("latin-1"), "not text in UTF-8"),
    ],
)
def test_a_csv_without_its_required_columns_is_an_error_and_changes_nothing(feed, payload, message):
    feed_import(feed=feed)
    before = list(Meeting.objects.values_list("pk", "is_active", "updated_at"))

    with pytest.raises(SourceError) as error:
        feed_import(feed=feed, records_or_source=payload)

    assert message in str(error.value)
    assert list(Meeting.objects.values_list("pk", "is_active", "updated_at")) == before


def test_rows_dropped_from_the_list_are_deactivated(feed):
    feed_import(feed=feed)

    report = feed_import(
        feed=feed, records_or_source=csv_bytes(HEADER, "aa-wed,Wednesday,AA,3,12:00")
    )

    assert report.deactivated == 3
    assert list(
        Meeting.objects.filter(feed=feed, is_active=True).values_list("source_key", flat=True)
    ) == ["aa-wed"]
