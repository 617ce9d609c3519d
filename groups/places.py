"""Places as people type them: a US ZIP code, a town ("Portland, ME"), or coordinates.

Looked up in the data the `zipcodes` package ships (every US ZIP code with its town, state and
a point), so nothing leaves the server. A town's point is the middle of its ZIP codes' points.
Distances are kept in kilometres; a practice shows them in miles or kilometres.
"""

import functools
import re
from collections import defaultdict
from dataclasses import dataclass

import zipcodes

KM_PER_MILE = 1.609344

US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island",
    "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
    "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands", "GU": "Guam", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}  # fmt: skip
_STATE_BY_NAME = {name.lower(): code for code, name in US_STATES.items()}
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}
_ZIP = re.compile(r"^(\d{5})(?:-\d{4})?$")
_COORDINATES = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


class PlaceError(ValueError):
    """A place that cannot be found, or could be several; the message says which."""


@dataclass(frozen=True)
class Place:
    label: str  # how to show it: "Portland, ME 04101", "Portland, ME", "43.6606, -70.2589"
    latitude: float
    longitude: float


@functools.cache
def _index() -> tuple[dict[str, Place], dict[tuple[str, str], Place], dict[str, list[str]]]:
    """ZIP code → place; (town, state) → place; town → the states that have one."""
    by_zip: dict[str, Place] = {}
    points: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    names: dict[tuple[str, str], str] = {}
    for row in zipcodes.list_all():
        try:
            latitude, longitude = float(row["lat"]), float(row["long"])
        except (TypeError, ValueError):
            continue
        if not (latitude or longitude):
            continue
        city, state = row["city"].strip(), row["state"]
        by_zip[row["zip_code"]] = Place(f"{city}, {state} {row['zip_code']}", latitude, longitude)
        for town in [city, *row.get("acceptable_cities", [])]:
            key = (_town_key(town), state)
            points[key].append((latitude, longitude))
            names.setdefault(key, town.title() if town.isupper() else town)
    by_town = {
        key: Place(
            f"{names[key]}, {key[1]}",
            round(sum(lat for lat, _ in spots) / len(spots), 4),
            round(sum(lng for _, lng in spots) / len(spots), 4),
        )
        for key, spots in points.items()
    }
    states: dict[str, list[str]] = defaultdict(list)
    for town, state in sorted(by_town):
        states[town].append(state)
    return by_zip, by_town, states


def place_lookup(text: str) -> Place:
    """The place someone typed. PlaceError with a message for the person who typed it."""
    text = " ".join(text.split())
    if not text:
        raise PlaceError("Enter a ZIP code or a town.")
    if match := _COORDINATES.match(text):
        latitude, longitude = float(match[1]), float(match[2])
        if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
            raise PlaceError(
                "Coordinates are a latitude from -90 to 90, then a longitude from -180 to 180."
            )
        return Place(f"{latitude:g}, {longitude:g}", latitude, longitude)
    by_zip, by_town, states = _index()
    if match := _ZIP.match(text):
        if match[1] not in by_zip:
            raise PlaceError(f"There is no US ZIP code {match[1]}. Check it, or give the town.")
        return by_zip[match[1]]
    if text.isdigit():
        raise PlaceError("A US ZIP code has five digits.")
    town, state = _split_state(text)
    key = _town_key(town)
    if state:
        if (key, state) in by_town:
            return by_town[(key, state)]
        raise PlaceError(f"No town called {town} was found in {US_STATES[state]}.")
    found = states.get(key, [])
    if len(found) == 1:
        return by_town[(key, found[0])]
    if not found:
        raise PlaceError(
            f"No US town called {town} was found. Check the spelling, or give a ZIP code."
        )
    shown = "; ".join(by_town[(key, code)].label for code in found[:6])
    more = f" and {len(found) - 6} more" if len(found) > 6 else ""
    raise PlaceError(f"Several towns are called {town} ({shown}{more}): add the state.")


def _town_key(name: str) -> str:
    """A town's name for comparing: lower case, "St. Louis" as "saint louis"."""
    words = name.lower().replace(".", " ").replace("-", " ").split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def _split_state(text: str) -> tuple[str, str]:
    """("Portland", "ME") from "Portland, ME", "Portland ME" or "Portland, Maine"."""
    town, comma, rest = text.rpartition(",")
    if comma:
        code = _state_code(rest.strip())
        if code:
            return town.strip(), code
        return text, ""
    words = text.split(" ")
    for size in (3, 2, 1):  # "New Hampshire", "District of Columbia"
        if len(words) > size:
            code = _state_code(" ".join(words[-size:]))
            if code:
                return " ".join(words[:-size]), code
    return text, ""


def _state_code(text: str) -> str:
    text = text.strip().rstrip(".")
    if text.upper() in US_STATES:
        return text.upper()
    return _STATE_BY_NAME.get(text.lower(), "")


def km_from(distance: float, unit: str) -> float:
    return distance * KM_PER_MILE if unit == "mi" else distance


def in_unit(km: float, unit: str) -> float:
    return km / KM_PER_MILE if unit == "mi" else km


@functools.cache
def us_time_zones() -> frozenset[str]:
    """The time zones US ZIP codes are in: a practice in one of them counts in miles."""
    return frozenset(
        row["timezone"] for row in zipcodes.list_all() if "/" in (row.get("timezone") or "")
    )


def default_distance_unit(time_zone: str) -> str:
    return "mi" if time_zone in us_time_zones() else "km"
