"""The meeting catalogue: every filter, htmx fragments, the meeting page, constant queries."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from groups.models import Feed, Program
from tests.factories import MeetingFactory

# A Tuesday, 18:30 in New York (23:30 UTC).
NOW = datetime.datetime(2026, 11, 24, 23, 30, tzinfo=datetime.UTC)
LIST = reverse("groups:list")


def names(browser, **params) -> list[str]:
    response = browser.get(LIST, params)
    assert response.status_code == 200
    return [meeting.name for meeting in response.context["page"]]


@pytest.fixture
def browser(as_user, therapist):
    return as_user(therapist)


@pytest.fixture
def catalogue(db):
    smart = Program.objects.get(key="SMART")
    return {
        "tuesday_evening": MeetingFactory(
            name="Tuesday Evening Open",
            day=2,
            start_time=datetime.time(19),
            end_time=datetime.time(20),
            types=["O", "D", "EN"],
            latitude=43.66,
            longitude=-70.26,
            city="Portland",
        ),
        "online_newcomers": MeetingFactory(
            name="Online Newcomers",
            day=3,
            start_time=datetime.time(7),
            end_time=datetime.time(8),
            attendance_option="online",
            types=["BE", "O"],
            conference_url="https://meet.example.org/newcomers",
        ),
        "smart_women": MeetingFactory(
            name="SMART Women",
            program=smart,
            day=2,
            start_time=datetime.time(22),
            end_time=datetime.time(23),
            attendance_option="hybrid",
            types=["W"],
            latitude=43.70,
            longitude=-70.30,
            notes="Side door, up the stairs",
        ),
        "spanish_far": MeetingFactory(
            name="Grupo Esperanza",
            day=6,
            start_time=datetime.time(10),
            end_time=datetime.time(11),
            types=["S", "C"],
            latitude=44.80,
            longitude=-68.77,
        ),
        "gone": MeetingFactory(name="Closed Down", is_active=False),
    }


def test_lists_active_meetings_only(browser, catalogue):
    assert "Closed Down" not in names(browser)
    assert len(names(browser)) == 4


def test_filters_by_program_day_and_attendance(browser, catalogue):
    assert names(browser, program="SMART") == ["SMART Women"]
    assert sorted(names(browser, day=["2"])) == ["SMART Women", "Tuesday Evening Open"]
    assert names(browser, attendance=["online"]) == ["Online Newcomers"]


def test_filters_by_time_of_day_in_the_meetings_own_zone(browser, catalogue):
    assert names(browser, time_of_day="morning") == ["Online Newcomers", "Grupo Esperanza"]
    assert names(browser, time_of_day="night") == ["SMART Women"]


@time_machine.travel(NOW, tick=False)
def test_starting_within_hours(browser, catalogue):
    # At 18:30 on Tuesday: the 19:00 meeting is half an hour away, the 22:00 one 3.5 hours.
    assert names(browser, within_hours="1") == ["Tuesday Evening Open"]
    assert sorted(names(browser, within_hours="4")) == ["SMART Women", "Tuesday Evening Open"]
    # Across midnight into Wednesday morning.
    assert "Online Newcomers" in names(browser, within_hours="13")


def test_types_by_human_name_and_language(browser, catalogue):
    body = browser.get(LIST).content.decode()
    assert "Newcomer" in body  # types are shown by name, never by code alone
    assert names(browser, types=["BE"]) == ["Online Newcomers"]
    assert names(browser, types=["O", "D"]) == ["Tuesday Evening Open"]
    assert names(browser, language="S") == ["Grupo Esperanza"]


def test_free_text_over_name_place_and_notes(browser, catalogue):
    assert names(browser, q="side door") == ["SMART Women"]
    assert names(browser, q="portland") == ["Tuesday Evening Open"]


def test_distance_keeps_nearby_in_person_meetings_nearest_first(browser, catalogue):
    near = names(browser, lat="43.69", lng="-70.29", within="12")
    assert near == ["SMART Women", "Tuesday Evening Open"]
    body = browser.get(LIST, {"lat": "43.69", "lng": "-70.29", "within": "12"}).content.decode()
    assert "mi away" in body  # the practice is in New York: miles


@pytest.mark.parametrize("place", ["04101", "04101-2011", "Portland, ME", "portland maine"])
def test_near_a_zip_code_or_a_town(browser, catalogue, place):
    # Both meetings are in Portland, Maine; Portland, Oregon has none of them.
    response = browser.get(LIST, {"near": place, "within": "5"})
    assert [meeting.name for meeting in response.context["page"]] == [
        "Tuesday Evening Open",
        "SMART Women",
    ] or [meeting.name for meeting in response.context["page"]] == [
        "SMART Women",
        "Tuesday Evening Open",
    ]
    assert "near Portland, ME" in response.content.decode()
    assert names(browser, near="Portland, OR", within="5") == []


def test_a_practice_outside_the_us_counts_in_kilometres(browser, catalogue, therapist):
    therapist.practice.distance_unit = "km"
    therapist.practice.save()
    # 4.1 km from Tuesday Evening Open, 1.2 km from SMART Women: 3 km keeps only the nearer.
    assert names(browser, lat="43.69", lng="-70.29", within="3") == ["SMART Women"]
    body = browser.get(LIST, {"lat": "43.69", "lng": "-70.29", "within": "3"}).content.decode()
    assert "km away" in body and "Within (kilometres)" in body


@pytest.mark.parametrize(
    ("params", "label", "message"),
    [
        ({"lat": "43.69"}, "Longitude", "Give both latitude and longitude, or neither."),
        ({"lng": "-70.29"}, "Latitude", "Give both latitude and longitude, or neither."),
        ({"near": "99999"}, "Near", "There is no US ZIP code 99999."),
        ({"near": "Portland"}, "Near", "Several towns are called Portland"),
        ({"near": "Atlantis, ME"}, "Near", "No town called Atlantis was found in Maine."),
        ({"within": "5"}, "Near", "Say near where"),
        ({"within_hours": "-3"}, "Starts within (hours)", "greater than or equal to 1"),
    ],
)
def test_a_filter_that_cannot_be_read_is_an_error_by_its_label_not_a_dropped_filter(
    browser, catalogue, params, label, message
):
    response = browser.get(LIST, params, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["page"]) == []  # not the whole catalogue, unfiltered
    assert f"<li>{label}: " in body and message in body
    for name in params:
        assert f"{name}:" not in body  # field names never reach the page


def test_meeting_types_are_grouped_checkboxes_with_their_names(browser, catalogue):
    body = browser.get(LIST, {"types": ["W"]}).content.decode()
    assert "Who it is for" in body and "Access and practicalities" in body
    assert 'type="checkbox" name="types" value="W"' in body
    assert "1 chosen" in body
    assert "<select" not in body.split('id="meeting-types"')[1].split("</fieldset>")[0]


@pytest.mark.parametrize(
    "params",
    [
        {"day": "9"},
        {"within_hours": "-3"},
        {"lat": "200", "lng": "0"},
        {"types": "ZZZ"},
        {"page": "abc"},
        {"q": "x" * 500},
        {"time_of_day": "teatime"},
    ],
)
def test_bad_filters_are_reported_not_a_500(browser, catalogue, params):
    assert browser.get(LIST, params).status_code == 200


def test_htmx_gets_only_the_results_fragment(browser, catalogue):
    response = browser.get(LIST, {"day": "2"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert "Tuesday Evening Open" in body


def _queries(browser) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(LIST, {"attendance": ["in_person", "hybrid"]}).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_results(browser, db):
    feed = Feed.objects.create(name="Intergroup", format="meeting-guide", source="x.json")
    MeetingFactory.create_batch(3, feed=feed, source_key=factory_key())
    small = _queries(browser)
    MeetingFactory.create_batch(40, feed=feed, source_key=factory_key())
    assert _queries(browser) == small


def factory_key():
    import factory

    return factory.Sequence(lambda n: f"key-{n}")


@time_machine.travel(NOW, tick=False)
def test_meeting_page_shows_next_occurrences_join_link_and_source(browser, catalogue):
    meeting = catalogue["online_newcomers"]
    body = browser.get(reverse("groups:detail", args=[meeting.pk])).content.decode()
    assert "Wednesday, Nov 25, 7:00 AM EST" in body
    assert "Wednesday, Dec 16, 7:00 AM EST" in body
    assert 'href="https://meet.example.org/newcomers"' in body
    assert "Entered by hand" in body


def test_catalogue_needs_sign_in(client, catalogue):
    assert client.get(LIST).status_code == 302
    url = reverse("groups:detail", args=[catalogue["gone"].pk])
    assert client.get(url).status_code == 302


def test_unknown_meeting_is_404(browser, db):
    assert browser.get(reverse("groups:detail", args=[999999])).status_code == 404
