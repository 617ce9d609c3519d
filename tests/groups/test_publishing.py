"""A practice's recommended meetings, published as a Meeting Guide feed and a public page."""

import datetime
import json
import re

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from groups.importers import feed_import
from groups.models import (
    AttendanceOption,
    Feed,
    FeedFormat,
    Meeting,
    Program,
    PublishedList,
    RecommendedMeeting,
)
from recovery.models import Role
from tests.factories import MeetingFactory, PracticeFactory, UserFactory

# The spec's required fields, and the shape of each (github.com/code4recovery/spec).
REQUIRED = {"name", "slug", "day", "time", "types", "updated"}
TIME = r"^\d{2}:\d{2}$"
UPDATED = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"

# What an import must bring back unchanged.
ROUND_TRIP_FIELDS = [
    "name",
    "day",
    "start_time",
    "end_time",
    "time_zone",
    "attendance_option",
    "location_name",
    "address",
    "city",
    "region",
    "postal_code",
    "country",
    "feed_regions",
    "latitude",
    "longitude",
    "location_notes",
    "conference_url",
    "conference_url_notes",
    "conference_phone",
    "conference_phone_notes",
    "types",
    "notes",
    "program_id",
]


@pytest.fixture
def catalogue(db):
    """Three kinds of meeting a practice might recommend, and one it does not."""
    in_person = MeetingFactory(
        name="Lakeside Beginners",
        day=1,
        start_time=datetime.time(19, 0),
        end_time=datetime.time(20, 30),
        time_zone="America/New_York",
        location_name="St. Mark's Hall",
        address="12 Water St",
        city="Portland",
        region="ME",
        postal_code="04101",
        country="US",
        latitude=43.6563,
        longitude=-70.2533,
        location_notes="Side door, <b>basement</b> room.",
        notes="Newcomers welcome &amp; coffee.<br>Wheelchair access.",
        types=["BE", "O", "X"],
        feed_regions=["Cumberland", "Portland"],
    )
    online = MeetingFactory(
        name="Night Owls Online",
        program=Program.objects.get(key="NA"),
        day=6,
        start_time=datetime.time(23, 30),
        end_time=datetime.time(0, 30),
        time_zone="America/Los_Angeles",
        attendance_option=AttendanceOption.ONLINE,
        conference_url="https://zoom.us/j/123456789",
        conference_url_notes="Password 1234",
        conference_phone="+1 646 558 8656",
        types=["D", "ONL"],
    )
    hybrid = MeetingFactory(
        name="SMART Tuesday",
        program=Program.objects.get(key="SMART"),
        day=2,
        start_time=datetime.time(12, 0),
        end_time=datetime.time(13, 0),
        attendance_option=AttendanceOption.HYBRID,
        address="40 Elm St",
        city="Bangor",
        region="ME",
        postal_code="04401",
        country="US",
        conference_url="https://meet.example.org/smart",
        types=[],
    )
    not_recommended = MeetingFactory(name="Not on the list")
    return [in_person, online, hybrid], not_recommended


@pytest.fixture
def published(practice, practice_admin, catalogue):
    recommended, _ = catalogue
    for meeting in recommended:
        RecommendedMeeting.objects.create(
            practice=practice, meeting=meeting, added_by=practice_admin
        )
    return PublishedList.objects.create(
        practice=practice,
        slug="harbor-counseling",
        title="Meetings we recommend",
        is_published=True,
    )


def feed_url(published) -> str:
    return reverse("groups:published_feed", args=[published.slug])


def test_the_published_feed_follows_the_meeting_guide_spec(published, catalogue):
    response = HttpClient().get(feed_url(published))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Access-Control-Allow-Origin"] == "*"
    records = json.loads(response.content)
    assert [r["name"] for r in records] == [
        "Lakeside Beginners",
        "SMART Tuesday",
        "Night Owls Online",
    ]
    assert len({r["slug"] for r in records}) == 3
    for record in records:
        assert record.keys() >= REQUIRED
        assert 0 <= record["day"] <= 6
        assert re.match(TIME, record["time"])
        assert re.match(TIME, record["end_time"])
        assert re.match(UPDATED, record["updated"])
        # No HTML anywhere, and nothing that names a person.
        for value in record.values():
            text = json.dumps(value)
            assert "<" not in text and "&amp;" not in text
        assert not {"email", "phone", "contact_1_name", "contact_1_email"} & record.keys()
    in_person, hybrid, online = records
    assert in_person["formatted_address"] == "12 Water St, Portland, ME 04101, US"
    assert in_person["notes"] == "Newcomers welcome & coffee.Wheelchair access."
    assert in_person["location_notes"] == "Side door, basement room."
    assert "formatted_address" not in online and online["conference_url"].startswith("https://")
    assert hybrid["conference_url"] and hybrid["address"] == "40 Elm St"
    assert "Not on the list" not in response.content.decode()


def test_the_published_feed_round_trips_into_another_practice(published, catalogue):
    recommended, _ = catalogue
    body = HttpClient().get(feed_url(published)).content
    other = PracticeFactory(name="Second practice")
    feed = Feed.objects.create(
        practice=other, name="Harbor's list", format=FeedFormat.MEETING_GUIDE, source=""
    )

    report = feed_import(feed=feed, records_or_source=body)

    assert (report.created, report.rejected, report.warnings) == (3, [], [])
    imported = {m.name: m for m in Meeting.objects.filter(feed=feed)}
    for original in recommended:
        copy = imported[original.name]
        for field in ROUND_TRIP_FIELDS:
            expected = getattr(original, field)
            if field in ("notes", "location_notes"):
                expected = {
                    "Side door, <b>basement</b> room.": "Side door, basement room.",
                    "Newcomers welcome &amp; coffee.<br>Wheelchair access.": (
                        "Newcomers welcome & coffee.Wheelchair access."
                    ),
                }.get(expected, expected)
            assert getattr(copy, field) == expected, (original.name, field)
        assert copy.is_active
    # The same feed again changes nothing.
    again = feed_import(feed=feed, records_or_source=body)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_an_unchanged_feed_answers_304_to_its_etag(published):
    first = HttpClient().get(feed_url(published))

    second = HttpClient().get(feed_url(published), HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 304 and second.content == b""


def test_a_meeting_taken_off_or_gone_from_its_feed_leaves_the_published_feed(
    published, catalogue, practice
):
    (in_person, online, _), _ = catalogue
    etag = HttpClient().get(feed_url(published))["ETag"]
    RecommendedMeeting.objects.filter(practice=practice, meeting=online).delete()
    Meeting.objects.filter(pk=in_person.pk).update(is_active=False)

    response = HttpClient().get(feed_url(published), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert [r["name"] for r in json.loads(response.content)] == ["SMART Tuesday"]


def test_the_public_page_links_to_its_feed_and_shows_only_the_list(published):
    page = HttpClient().get(reverse("groups:published_page", args=[published.slug]))

    html = page.content.decode()
    assert page.status_code == 200
    assert (
        f'<link rel="alternate" type="application/json" title="Meetings Feed" '
        f'href="{feed_url(published)}">'
    ) in html
    assert "Lakeside Beginners" in html and "Not on the list" not in html
    assert "Night Owls Online" in html and "Saturday" in html


def test_an_unpublished_list_is_not_found(published):
    published.is_published = False
    published.save()

    assert HttpClient().get(feed_url(published)).status_code == 404
    assert (
        HttpClient().get(reverse("groups:published_page", args=[published.slug])).status_code == 404
    )


def test_a_manager_recommends_from_the_meeting_page_and_the_admin_publishes(
    as_user, practice, manager, practice_admin, catalogue
):
    _, meeting = catalogue
    browser = as_user(manager)

    page = browser.get(reverse("groups:detail", args=[meeting.pk])).content.decode()
    assert ">Recommend</button>" in page
    browser.post(reverse("groups:recommend", args=[meeting.pk]), {"recommend": "1"})
    page = browser.get(reverse("groups:detail", args=[meeting.pk])).content.decode()
    assert "Recommended by your practice" in page
    assert RecommendedMeeting.objects.filter(practice=practice, meeting=meeting).exists()
    # The manager sees the list, but publishing is the admin's decision.
    listing = browser.get(reverse("groups:published_list")).content.decode()
    assert "Not on the list" in listing and "Your practice admin decides" in listing
    assert browser.post(reverse("groups:published_list"), {"title": "x"}).status_code == 404

    admin = as_user(practice_admin)
    response = admin.post(
        reverse("groups:published_list"),
        {"title": "Our meetings", "slug": "our-meetings", "is_published": "on"},
        follow=True,
    )
    assert "Your list is published." in response.content.decode()
    feed = HttpClient().get(reverse("groups:published_feed", args=["our-meetings"]))
    assert [r["name"] for r in json.loads(feed.content)] == ["Not on the list"]

    browser.post(reverse("groups:recommend", args=[meeting.pk]), {"recommend": "0"})
    assert not RecommendedMeeting.objects.filter(practice=practice, meeting=meeting).exists()


def test_a_therapist_sees_the_recommendation_but_cannot_change_it(
    as_user, practice, therapist, published, catalogue
):
    (meeting, _, _), _ = catalogue
    browser = as_user(therapist)

    page = browser.get(reverse("groups:detail", args=[meeting.pk])).content.decode()

    assert "Recommended by your practice" in page and "Take off the recommended list" not in page
    assert (
        browser.post(reverse("groups:recommend", args=[meeting.pk]), {"recommend": "0"}).status_code
        == 404
    )
    assert RecommendedMeeting.objects.filter(practice=practice, meeting=meeting).exists()


def test_a_slug_taken_by_another_practice_is_a_form_error(as_user, practice_admin, published):
    other_admin = UserFactory(practice=PracticeFactory(name="Other"), role=Role.ADMIN)

    response = as_user(other_admin).post(
        reverse("groups:published_list"),
        {"title": "Ours", "slug": published.slug, "is_published": "on"},
    )

    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    published.refresh_from_db()
    assert published.title == "Meetings we recommend"
