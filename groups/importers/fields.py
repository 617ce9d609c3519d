"""Reading single values out of feed records: text, days, times, zones, coordinates, links, types.

Every format's parser goes through these, so a feed is judged the same way whatever it is
written in. A value that makes the whole meeting unusable (no day, an impossible time, an
unknown time zone) raises RecordError and the record is rejected; a value that only loses a
detail (a map pin off the planet, a conference link that is not a web address) is dropped and
a warning says so, because a meeting without a map pin is still a meeting a client can go to.
"""

import datetime
import math
import re
from typing import Any
from urllib.parse import urlsplit

from groups.models import AttendanceOption
from groups.types import MEETING_TYPES
from recovery.models import known_time_zones


class RecordError(ValueError):
    """This record cannot be imported; the message is the reason the report gives."""


def text(value: Any) -> str:
    """A trimmed string; numbers become their digits, anything else (null, lists) nothing.

    Notes are stored as the feed gives them, HTML-ish bits included: templates escape on
    output, and stripping tags here would also eat "<3 years sober" and the like.
    """
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return ""


def fit(value: str, max_length: int, field: str, warnings: list[str]) -> str:
    """Cut a value to its column's length, and say so: a database error would lose the row."""
    if len(value) <= max_length:
        return value
    warnings.append(f"{field} cut to {max_length} characters")
    return value[:max_length]


# --- days and times ------------------------------------------------------------------------

DAY_NAMES = {
    name: number
    for number, names in enumerate(
        [
            ("sunday", "sun"),
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
        ]
    )
    for name in names
}


def parse_day(value: Any, *, first: int = 0) -> int:
    """A weekday as Meeting Guide counts it (0 = Sunday) from an integer, a digit string or a
    day name; `first=1` reads BMLT's numbering, where 1 is Sunday."""
    if isinstance(value, bool):
        raise RecordError(f"day {value!r} is not a day of the week")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        raw = value.strip()
        if not raw:
            raise RecordError("no day")
        if raw.lower() in DAY_NAMES:
            return DAY_NAMES[raw.lower()]
        if not raw.isdigit():
            raise RecordError(f"day {raw!r} is not a day of the week")
        value = int(raw)
    if value is None:
        raise RecordError("no day")
    if not isinstance(value, int):
        raise RecordError(f"day {value!r} is not a day of the week")
    if not first <= value <= first + 6:
        raise RecordError(f"day {value} is outside {first} (Sunday) to {first + 6} (Saturday)")
    return value - first


_TIME = re.compile(
    r"^(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?"
    r"(?:\s*(?P<ampm>[AaPp])\.?\s*[Mm]\.?)?$"
)


def parse_time(value: Any, field: str = "time") -> datetime.time:
    """ "19:00", "7:00", "19:00:00" (BMLT) and, leniently, "7:00 pm"."""
    raw = text(value)
    if not raw:
        raise RecordError(f"no {field}")
    match = _TIME.match(raw)
    if match is None:
        raise RecordError(f"{field} {raw!r} is not a time (HH:MM)")
    hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise RecordError(f"{field} {raw!r} is not a possible time")
        hour = hour % 12 + (12 if match["ampm"] in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise RecordError(f"{field} {raw!r} is not a possible time")
    return datetime.time(hour, minute, second)


def add_minutes(start: datetime.time, minutes: int) -> datetime.time:
    """Wall-clock arithmetic that wraps past midnight; DST does not apply to a weekly slot."""
    moment = datetime.datetime.combine(datetime.date(2000, 1, 1), start)
    return (moment + datetime.timedelta(minutes=minutes)).time()


DEFAULT_DURATION_MINUTES = 60  # the Meeting Guide spec's default when end_time is missing


def parse_time_zone(value: Any, default: str) -> str:
    raw = text(value)
    if not raw:
        return default
    if raw not in known_time_zones():
        raise RecordError(f"time zone {raw!r} is unknown (expected e.g. America/New_York)")
    return raw


# "8/29/2021", and with the time as US intergroup sites print it: "8/25/2022 11:17:07 AM".
_US_DATE = re.compile(
    r"^(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})"
    r"(?:[ T]+(?P<time>\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?\s*[Mm]\.?)?))?$"
)


def parse_updated(value: Any, warnings: list[str]) -> datetime.datetime | None:
    """The spec's "YYYY-MM-DD HH:MM:SS" in UTC; real feeds also send "8/29/2021" and
    "8/25/2022 11:17:07 AM" (month first, as US sites write dates)."""
    raw = text(value)
    if not raw:
        return None
    try:
        moment = datetime.datetime.fromisoformat(raw)
    except ValueError:
        match = _US_DATE.match(raw)
        try:
            day = datetime.date(int(match["year"]), int(match["month"]), int(match["day"]))
            at = parse_time(match["time"], "updated") if match["time"] else datetime.time()
            moment = datetime.datetime.combine(day, at)
        except (TypeError, ValueError):  # no match, a 31st of February, a 25 o'clock
            warnings.append(f"updated {raw!r} ignored: not a date")
            return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


# --- places --------------------------------------------------------------------------------


def parse_coordinates(
    latitude: Any, longitude: Any, warnings: list[str]
) -> tuple[float | None, float | None]:
    """Numbers or numeric strings. A bad pair is dropped (both: half a position is no position)
    with a warning, rather than rejecting a meeting people can still attend."""
    raw_lat, raw_lng = text(latitude), text(longitude)
    if not raw_lat and not raw_lng:
        return None, None
    if not raw_lat or not raw_lng:
        warnings.append(f"coordinates {raw_lat or '?'}, {raw_lng or '?'} dropped: one is missing")
        return None, None
    try:
        lat, lng = float(raw_lat), float(raw_lng)
    except ValueError:
        warnings.append(f"coordinates {raw_lat!r}, {raw_lng!r} dropped: not numbers")
        return None, None
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        warnings.append(f"coordinates {raw_lat}, {raw_lng} dropped: not on Earth")
        return None, None
    if lat == 0 and lng == 0:
        # 0, 0 is in the Gulf of Guinea; feeds (BMLT above all) write it for "no position".
        return None, None
    return lat, lng


_STATE_AND_POSTCODE = re.compile(
    r"^(?P<state>[^\d,]+?)\s+(?P<postcode>\d[\dA-Za-z -]*|[A-Z]\d[A-Z] ?\d[A-Z]\d)$"
)


def split_formatted_address(value: str) -> dict[str, str]:
    """Best-effort split of "4953 W Addison St, Chicago, IL 60641, USA" into its parts, read
    from the right (country, state and postcode, city, then the street); a shorter string
    such as "San Jose, CA, USA" has no street, which is how an approximate place reads."""
    parts = [part.strip() for part in value.split(",") if part.strip()]
    fields = {"address": "", "city": "", "region": "", "postal_code": "", "country": ""}
    if len(parts) == 1:
        fields["address"] = parts[0]
    elif len(parts) == 2:
        fields["city"], fields["country"] = parts
    elif len(parts) >= 3:
        fields["country"] = parts[-1]
        match = _STATE_AND_POSTCODE.match(parts[-2])
        if match:
            fields["region"], fields["postal_code"] = match["state"], match["postcode"]
        else:
            fields["region"] = parts[-2]
        fields["city"] = parts[-3]
        fields["address"] = ", ".join(parts[:-3])
    return fields


# --- online meetings -----------------------------------------------------------------------

_BARE_HOST = re.compile(r"^[\w-]+(\.[\w-]+)+(/|$)")
# A host name or an IPv4 address, with an optional port: enough to tell a link from a sentence
# typed into the wrong field (Django's URLValidator is ten times slower and no kinder).
_HOST = re.compile(r"^(?:[\w-]+\.)*[\w-]+(?::\d{1,5})?$")
_SPACE = re.compile(r"\s")
URL_MAX_LENGTH = 500  # Meeting.conference_url


def parse_url(value: Any, field: str, warnings: list[str]) -> str:
    """A web address a client can click. "zoom.us/j/1" gains its https://; anything that is
    still not an http(s) URL is dropped with a warning (the phone and the notes stay)."""
    raw = text(value)
    if not raw:
        return ""
    if "://" not in raw and _BARE_HOST.match(raw):
        raw = f"https://{raw}"
    if len(raw) > URL_MAX_LENGTH:
        warnings.append(f"{field} dropped: longer than {URL_MAX_LENGTH} characters")
        return ""
    try:
        parts = urlsplit(raw)
    except ValueError:  # "http://[::1" and other broken brackets
        parts = urlsplit("")
    if (
        parts.scheme.lower() not in {"http", "https"}
        or not _HOST.match(parts.netloc.rpartition("@")[2])
        or _SPACE.search(raw)
    ):
        warnings.append(f"{field} {raw[:80]!r} dropped: not a web address")
        return ""
    return raw


def derive_attendance(
    *, has_conference: bool, has_location: bool, temporarily_closed: bool
) -> tuple[str, bool]:
    """(attendance option, whether the meeting is being held) when a feed does not say.

    A link or a phone with no usable street address, or with the room temporarily closed
    (`TC`), is online; with an address, hybrid; no link and no phone, in person. `TC` with no
    link and no phone is a closed room nobody can join: still listed as online (where the
    meeting went, if it went anywhere), but imported inactive, as 12 Step Meeting List marks it
    "inactive" (sussexaa.json says so explicitly for every such record).
    """
    if has_conference:
        if temporarily_closed or not has_location:
            return AttendanceOption.ONLINE, True
        return AttendanceOption.HYBRID, True
    if temporarily_closed:
        return AttendanceOption.ONLINE, False
    return AttendanceOption.IN_PERSON, True


# --- meeting types -------------------------------------------------------------------------

_CANONICAL_TYPES = {code.upper(): code for code in MEETING_TYPES}
TYPE_CODE_MAX_LENGTH = 32  # a longer "code" is a sentence someone typed into the wrong field


def parse_types(value: Any, warnings: list[str]) -> list[str]:
    """Codes in the feed's order, duplicates dropped; known codes in the spec's spelling
    ("o" -> "O", "12X12" -> "12x12"), unknown codes kept exactly as given."""
    if isinstance(value, str):
        items: list[Any] = re.split(r"[,\s]+", value)
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        return []
    codes: list[str] = []
    for item in items:
        raw = text(item)
        if not raw:
            continue
        if len(raw) > TYPE_CODE_MAX_LENGTH:
            warnings.append(f"type {raw[:40]!r}… dropped: too long to be a code")
            continue
        code = _CANONICAL_TYPES.get(raw.upper(), raw)
        if code not in codes:
            codes.append(code)
    return codes
