"""Places as people type them, from the data the zipcodes package ships (no network)."""

import pytest
from django.urls import reverse

from clients.models import Client
from groups.places import PlaceError, default_distance_unit, in_unit, km_from, place_lookup
from recovery.invitations import practice_create
from tests.factories import ClientFactory


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("04101", "Portland, ME 04101"),
        (" 04101-2011 ", "Portland, ME 04101"),
        ("Portland, ME", "Portland, ME"),
        ("portland me", "Portland, ME"),
        ("Portland, Maine", "Portland, ME"),
        ("St. Louis, MO", "Saint Louis, MO"),
        ("Ft Myers FL", "Fort Myers, FL"),
        ("Bar Harbor", "Bar Harbor, ME"),  # only one town of that name
        ("43.66, -70.26", "43.66, -70.26"),
    ],
)
def test_a_zip_code_a_town_or_coordinates_is_a_point(text, label):
    place = place_lookup(text)
    assert place.label == label
    if label.startswith("Portland, ME"):
        assert place.latitude == pytest.approx(43.66, abs=0.02)
        assert place.longitude == pytest.approx(-70.25, abs=0.02)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter a ZIP code or a town."),
        ("00000", "There is no US ZIP code 00000."),
        ("0410", "A US ZIP code has five digits."),
        ("Portland", "Several towns are called Portland (Portland, AR; Portland, CT;"),
        ("Nowhere, ME", "No town called Nowhere was found in Maine."),
        ("Qwzx", "No US town called Qwzx was found."),
        ("95, 10", "Coordinates are a latitude from -90 to 90"),
    ],
)
def test_a_place_that_cannot_be_found_says_why(text, message):
    with pytest.raises(PlaceError) as caught:
        place_lookup(text)
    assert message in str(caught.value)


def test_miles_and_kilometres():
    assert km_from(10, "mi") == pytest.approx(16.09, abs=0.01)
    assert km_from(10, "km") == 10
    assert in_unit(16.09344, "mi") == pytest.approx(10)
    assert (default_distance_unit("America/New_York"), default_distance_unit("Europe/Dublin")) == (
        "mi",
        "km",
    )


def test_a_new_practice_counts_in_its_countrys_unit(db):
    us = practice_create(
        name="Harbor",
        time_zone="America/Chicago",
        sender_name="",
        admin_email="a@example.org",
        admin_name="A",
    ).practice
    irish = practice_create(
        name="Liffey",
        time_zone="Europe/Dublin",
        sender_name="",
        admin_email="b@example.org",
        admin_name="B",
    ).practice
    assert (us.distance_unit, irish.distance_unit) == ("mi", "km")


# --- the client's travel preference ---------------------------------------------------------


def edit(browser, client: Client, **fields):
    data = {
        "preferred_name": client.preferred_name,
        "time_zone": client.time_zone,
        "stage_of_change": client.stage_of_change,
        "status": client.status,
        "attendance_preference": "in_person",
        "program_preference": "any",
        **fields,
    }
    return browser.post(reverse("clients:edit", args=[client.pk]), data)


def test_a_clients_place_is_a_zip_code_and_their_reach_is_in_miles(as_user, therapist):
    client = ClientFactory(primary_therapist=therapist, practice=therapist.practice)
    browser = as_user(therapist)

    response = edit(browser, client, place_name="04101", max_distance_km="10")

    assert response.status_code == 302, response.context["form"].errors
    client.refresh_from_db()
    assert client.place_name == "Portland, ME 04101"
    assert (round(client.latitude, 2), round(client.longitude, 2)) == (43.66, -70.26)
    assert client.max_distance_km == 16  # 10 miles, kept in kilometres
    page = browser.get(reverse("clients:edit", args=[client.pk])).content.decode()
    assert "Travels at most (miles)" in page
    assert 'value="10"' in page and 'value="Portland, ME 04101"' in page
    # The client's meeting search starts near that place, within those miles.
    search = browser.get(reverse("clients:meetings", args=[client.pk]))
    assert search.context["filters"].form["near"].value() == "Portland, ME 04101"
    assert search.context["filters"].form["within"].value() == "10"


def test_an_unknown_zip_code_is_a_form_error_and_nothing_is_saved(as_user, therapist):
    client = ClientFactory(
        primary_therapist=therapist, practice=therapist.practice, latitude=44.8, longitude=-68.8
    )

    response = edit(as_user(therapist), client, place_name="00000", preferred_name="Changed")

    assert response.status_code == 200
    assert "There is no US ZIP code 00000" in response.context["form"].errors["place_name"][0]
    client.refresh_from_db()
    assert (client.preferred_name, client.latitude) != ("Changed", None)
    assert client.latitude == 44.8


def test_a_latitude_without_a_longitude_is_a_form_error(as_user, therapist):
    client = ClientFactory(primary_therapist=therapist, practice=therapist.practice)
    response = edit(as_user(therapist), client, latitude="43.6")
    assert response.context["form"].errors["longitude"] == [
        "Give both latitude and longitude, or neither."
    ]


def test_clearing_the_place_clears_its_point(as_user, therapist):
    client = ClientFactory(primary_therapist=therapist, practice=therapist.practice)
    browser = as_user(therapist)
    edit(browser, client, place_name="Bangor, ME")
    client.refresh_from_db()
    assert client.latitude is not None

    edit(browser, client, place_name="", latitude=client.latitude, longitude=client.longitude)
    client.refresh_from_db()
    assert (client.place_name, client.latitude, client.longitude) == ("", None, None)


def test_a_practice_in_kilometres_takes_kilometres(as_user, therapist):
    therapist.practice.distance_unit = "km"
    therapist.practice.save()
    client = ClientFactory(primary_therapist=therapist, practice=therapist.practice)
    response = edit(as_user(therapist), client, place_name="04101", max_distance_km="10")
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.max_distance_km == 10
