"""The three real Meeting Guide feeds in ../shared/feeds: every record imported or rejected.

They live beside the repository, not in it (see ../shared/feeds/README.md); where the folder
is absent, as in a user's own clone, these tests skip.
"""

import json
from pathlib import Path

import pytest

from groups.importers import feed_import
from groups.models import Feed, FeedFormat, Meeting

FEEDS = Path(__file__).resolve().parents[3] / "shared" / "feeds"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not FEEDS.is_dir(), reason=f"{FEEDS} is absent (only the real feeds live there)"
    ),
]

# Where the intergroups are: aasanjose.json names no time zone on its records.
REAL_FEEDS = [
    ("aasanjose.json", "America/Los_Angeles"),
    ("aasfmarin.json", "America/Los_Angeles"),
    ("sussexaa.json", "America/New_York"),
]


def expected_rows(records: list) -> int:
    """Meetings a feed describes: a record whose `day` is a list is one per distinct day."""
    return sum(
        len(set(map(str, r["day"]))) if isinstance(r.get("day"), list) else 1 for r in records
    )


@pytest.fixture(params=REAL_FEEDS, ids=[name for name, _ in REAL_FEEDS])
def real_feed(request):
    name, time_zone = request.param
    path = FEEDS / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    feed = Feed.objects.create(
        name=name, format=FeedFormat.MEETING_GUIDE, source=str(path), default_time_zone=time_zone
    )
    return feed, json.loads(path.read_bytes())


def test_every_record_is_imported_or_rejected_with_a_reason(real_feed, capsys):
    feed, records = real_feed

    report = feed_import(feed=feed)

    assert report.created + len(report.rejected) == expected_rows(records)
    assert all(entry["key"] and entry["reason"] for entry in report.rejected)
    assert Meeting.objects.filter(feed=feed).count() == report.created
    assert capsys.readouterr() == ("", "")  # an import reports; it does not print


def test_a_second_import_of_a_real_feed_changes_nothing(real_feed):
    feed, _ = real_feed
    first = feed_import(feed=feed)

    second = feed_import(feed=feed)

    assert (second.created, second.updated, second.deactivated) == (0, 0, 0)
    assert second.unchanged == first.created


def test_real_feeds_keep_what_matters_to_a_client(real_feed):
    feed, records = real_feed
    feed_import(feed=feed)
    meetings = Meeting.objects.filter(feed=feed)

    # Every meeting has a time zone, a start and an end, and types in the feed's order.
    assert not meetings.filter(time_zone="").exists()
    by_slug = {r["slug"]: r for r in reversed(records)}  # the first of a repeated slug wins
    for meeting in meetings:
        record = by_slug[meeting.source_key]
        assert meeting.start_time.strftime("%H:%M") == record["time"]
        assert meeting.types == list(dict.fromkeys(record["types"]))
        if record.get("attendance_option") in {"in_person", "online", "hybrid"}:
            assert meeting.attendance_option == record["attendance_option"]


def test_the_duplicate_slug_in_san_jose_is_the_one_rejection():
    path = FEEDS / "aasanjose.json"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    feed = Feed.objects.create(
        name="San Jose",
        format=FeedFormat.MEETING_GUIDE,
        source=str(path),
        default_time_zone="America/Los_Angeles",
    )

    report = feed_import(feed=feed)

    assert report.rejected == [
        {"key": "pass-it-on-group", "reason": "duplicate key: an earlier record has it"}
    ]
