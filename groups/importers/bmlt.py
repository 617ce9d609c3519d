"""BMLT `GetSearchResults` JSON: the meeting lists NA service bodies publish.

`.../client_interface/json/?switcher=GetSearchResults` answers a JSON list of meetings whose
values are all strings (bmlt-enabled/bmlt-root-server, Http/Resources/Query/MeetingResource):

- `id_bigint` is the key; `meeting_name`, `comments` (-> notes), `location_info`
  (-> location notes).
- `weekday_tinyint` counts from 1 = Sunday; `start_time` and `duration_time` are "HH:MM:SS"
  (a missing or zero duration is an hour, as the root server's default); `time_zone` may be
  empty (then the feed's default).
- `venue_type` 1 in person, 2 virtual, 3 hybrid; anything else is derived as for Meeting Guide.
- `formats` is a comma-separated list of the server's format keys, mapped to Meeting Guide
  codes below; a key with no Meeting Guide equivalent is kept as given.
- `virtual_meeting_link`, `virtual_meeting_additional_info`, `phone_meeting_number`;
  `location_text`, `location_street`, `location_municipality`, `location_province`,
  `location_postal_code_1`, `location_nation`, `location_neighborhood`; `latitude`,
  `longitude` ("0" for none); `published` "0" imports the meeting inactive.

With `&get_used_formats=1` the answer is `{"meetings": [...], "formats": [...]}`; then each
key is first translated through its format's NAWS world id (`world_id`), which is the same
on every server whatever its language (a German server's "A" for Anfänger is BEG).
"""

from collections.abc import Iterator
from typing import Any

from groups.importers.base import (
    ImportContext,
    Rejected,
    Row,
    load_json,
    record_outcomes,
    records_list,
)
from groups.importers.fields import (
    DEFAULT_DURATION_MINUTES,
    RecordError,
    add_minutes,
    parse_day,
    parse_time,
    text,
)
from groups.importers.meeting_guide import meeting_values

WHAT = "BMLT feed"

VENUE_TYPES = {"1": "in_person", "2": "online", "3": "hybrid"}

# Format keys of the root server's stock English formats and NAWS world ids -> Meeting Guide
# type codes, looked up upper-cased ("St" and "STEP" are both Step study). Read from the
# root server's seed data: B is Beginners (-> BE, Newcomer); BT is the Basic Text, NA's book,
# a literature meeting (-> LIT), not a beginners' one.
FORMAT_TYPES: dict[str, tuple[str, ...]] = {
    "O": ("O",),
    "OPEN": ("O",),
    "C": ("C",),
    "CLOSED": ("C",),
    "B": ("BE",),
    "BEG": ("BE",),
    "D": ("D",),
    "DISC": ("D",),
    "TO": ("D",),  # Topic
    "TOP": ("D",),
    "SPK": ("SP",),
    "SP": ("SP",),
    "SO": ("SP",),  # Speaker only
    "SD": ("SP", "D"),  # Speaker/Discussion
    "S-D": ("SP", "D"),
    "ST": ("ST",),
    "STEP": ("ST",),
    "TR": ("TR",),
    "TRAD": ("TR",),
    "TW": ("TR",),  # Traditions workshop
    "W": ("W",),
    "M": ("M",),
    "WC": ("X",),
    "WCHR": ("X",),
    "GL": ("LGBTQ",),
    "LGBTQ": ("LGBTQ",),
    "YP": ("Y",),
    "Y": ("Y",),
    "CL": ("CAN",),  # Candlelight
    "CAN": ("CAN",),
    "ME": ("MED",),
    "MED": ("MED",),
    "CW": ("CF",),  # Children welcome
    "AG": ("A",),  # Agnostic
    "SM": ("SM",),
    "SMOK": ("SM",),
    "SL": ("ASL",),
    "ASL": ("ASL",),
    "ES": ("S",),
    "ENG": ("EN",),
    "FIN": ("FI",),
    "PER": ("FA",),
    "BT": ("LIT",),  # Basic Text
    "JT": ("LIT",),  # Just for Today
    "JFT": ("LIT",),
    "IW": ("LIT",),  # It Works: How and Why
    "IP": ("LIT",),  # Informational pamphlets
    "SG": ("LIT",),  # Step Working Guides
    "SWG": ("LIT",),
    "LC": ("LIT",),  # Living Clean
    "GP": ("LIT",),  # Guiding Principles
    "SPAD": ("LIT",),  # A Spiritual Principle a Day
    "BK": ("LIT",),  # Book study
    "LIT": ("LIT",),
    "TC": ("TC",),
    "VM": ("ONL",),  # as the root server's own TSML export maps it
}


def parse(payload: Any, context: ImportContext) -> Iterator[Row | Rejected]:
    data = load_json(payload, what=WHAT)
    world_ids: dict[str, str] = {}
    if isinstance(data, dict) and "meetings" in data:
        for fmt in data.get("formats") or []:
            if isinstance(fmt, dict) and text(fmt.get("key_string")):
                world_ids[text(fmt["key_string"])] = text(fmt.get("world_id"))
        data = data["meetings"]
    records = records_list(data, what=WHAT)
    return record_outcomes(
        records,
        lambda record, ctx: parse_record(record, ctx, world_ids=world_ids),
        context,
        key_field="id_bigint",
    )


def parse_record(
    record: dict, context: ImportContext, *, world_ids: dict[str, str] | None = None
) -> list[Row]:
    key = text(record.get("id_bigint"))
    if not key:
        raise RecordError("no id_bigint: it is the meeting's key")
    day = parse_day(record.get("weekday_tinyint"), first=1)
    start = parse_time(record.get("start_time"), "start_time")
    minutes = duration_minutes(record.get("duration_time"))

    venue_type = text(record.get("venue_type"))
    as_meeting_guide = {
        "name": record.get("meeting_name"),
        "time": start.strftime("%H:%M:%S"),
        "end_time": add_minutes(start, minutes).strftime("%H:%M:%S"),
        "timezone": record.get("time_zone"),
        "attendance_option": VENUE_TYPES.get(venue_type, ""),
        "location": record.get("location_text"),
        "address": record.get("location_street"),
        "city": record.get("location_municipality"),
        "state": record.get("location_province"),
        "postal_code": record.get("location_postal_code_1"),
        "country": record.get("location_nation"),
        "regions": [text(record.get("location_neighborhood"))],
        "latitude": record.get("latitude"),
        "longitude": record.get("longitude"),
        "location_notes": record.get("location_info"),
        "conference_url": record.get("virtual_meeting_link"),
        "conference_url_notes": record.get("virtual_meeting_additional_info"),
        "conference_phone": record.get("phone_meeting_number"),
        "conference_phone_notes": record.get("phone_meeting_additional_info"),
        "types": format_types(text(record.get("formats")), world_ids or {}),
        "notes": record.get("comments"),
    }
    values, warnings = meeting_values(as_meeting_guide, context, program=context.program)
    if venue_type and venue_type not in VENUE_TYPES:
        warnings.append(f"venue_type {venue_type!r} unknown: derived from the record instead")
    if text(record.get("published")) == "0":
        values["is_active"] = False
    return [Row(key, {**values, "day": day}, warnings)]


def duration_minutes(value: Any) -> int:
    """Minutes from "HH:MM:SS" (or "HH:MM"). Missing or zero is the default hour, as on the
    root server; a value that is not a duration rejects the record like an impossible time."""
    raw = text(value)
    if not raw:
        return DEFAULT_DURATION_MINUTES
    parts = raw.split(":")
    if not 2 <= len(parts) <= 3 or not all(part.isdigit() for part in parts):
        raise RecordError(f"duration_time {raw!r} is not a duration (HH:MM:SS)")
    hours, minutes = int(parts[0]), int(parts[1])
    if minutes > 59 or hours * 60 + minutes > 24 * 60:
        raise RecordError(f"duration_time {raw!r} is not a possible duration")
    total = hours * 60 + minutes
    return total or DEFAULT_DURATION_MINUTES


def format_types(formats: str, world_ids: dict[str, str]) -> list[str]:
    codes: list[str] = []
    for key in (part.strip() for part in formats.split(",")):
        if not key:
            continue
        world_id = world_ids.get(key, "").upper()
        mapped = FORMAT_TYPES.get(world_id) or FORMAT_TYPES.get(key.upper()) or (key,)
        codes.extend(code for code in mapped if code not in codes)
    return codes
