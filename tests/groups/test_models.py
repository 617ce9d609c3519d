import datetime

import pytest
from django.db import IntegrityError, transaction

from groups.models import Feed, Meeting
from tests.factories import MeetingFactory


def violates(create) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_duration_handles_a_meeting_that_runs_past_midnight(db):
    meeting = MeetingFactory(start_time=datetime.time(23, 30), end_time=datetime.time(0, 30))
    assert meeting.duration == datetime.timedelta(hours=1)


def test_day_must_be_0_to_6(db):
    violates(lambda: MeetingFactory(day=7))


def test_coordinates_must_be_on_earth(db):
    violates(lambda: MeetingFactory(latitude=91))
    violates(lambda: MeetingFactory(longitude=-181))


def test_source_key_is_unique_within_a_feed(db):
    feed = Feed.objects.create(name="Intergroup", format="meeting-guide", source="feed.json")
    MeetingFactory(feed=feed, source_key="tuesday-night")
    violates(lambda: MeetingFactory(feed=feed, source_key="tuesday-night"))
    other = Feed.objects.create(name="Other", format="bmlt", source="bmlt.json")
    MeetingFactory(feed=other, source_key="tuesday-night")
    assert Meeting.objects.filter(source_key="tuesday-night").count() == 2


def test_a_feed_meeting_needs_its_source_key(db):
    feed = Feed.objects.create(name="Intergroup", format="meeting-guide", source="feed.json")
    violates(lambda: MeetingFactory(feed=feed, source_key=""))


def test_unknown_feed_format_is_refused(db):
    violates(lambda: Feed.objects.create(name="x", format="xml", source="x"))
