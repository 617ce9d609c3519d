"""Meeting Guide JSON: the format AA intergroups publish (github.com/code4recovery/spec).

A feed is a JSON list of meeting objects. What real feeds contain, and how it is read:

- `slug` is the key (required by the spec; a record without one is rejected). `day` may be
  an integer, a digit string or a list; a list gives one meeting per day, keyed
  "<slug>-<day>" (so `"day": [1, 3]` becomes "sunday-serenity-1" and "sunday-serenity-3").
- `time` / `end_time` are "HH:MM" (also "7:00" or "19:00:00"); a missing `end_time` is an hour
  after `time`, wrapping past midnight.
- `timezone` per record, else the feed's default time zone; an unknown zone rejects the record.
- `formatted_address`, or the split `address`, `city`, `state`, `postal_code`, `country`
  (which win where both are given); `region` / `sub_region` or `regions` go to feed_regions.
- `attendance_option` is used where given ("inactive" imports the meeting inactive); else it
  is derived from the conference link or phone, the street address and the `TC` type (see
  fields.derive_attendance).
- `types` keep the spec's codes in its spelling, legacy `ONL` and unknown codes as given.
- `latitude` / `longitude` as numbers or strings; `updated` (UTC) is kept as
  source_updated_at, also in the US shapes real feeds send ("8/25/2022 11:17:07 AM").
- `program`, not in the spec, names a program key (AA, NA, SMART, ...) where a feed mixes
  programs, as a practice's published list does; else the feed's program.
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
    derive_attendance,
    fit,
    parse_coordinates,
    parse_day,
    parse_time,
    parse_time_zone,
    parse_types,
    parse_updated,
    parse_url,
    split_formatted_address,
    text,
)
from groups.models import AttendanceOption, Program

WHAT = "Meeting Guide feed"
PHONE_MAX_LENGTH = 100  # Meeting.conference_phone
ATTENDANCE_OPTIONS = frozenset(AttendanceOption.values)  # .values builds a list per call


def parse(payload: Any, context: ImportContext) -> Iterator[Row | Rejected]:
    # Not a generator itself: a source that is not a JSON list fails here, at once.
    records = records_list(load_json(payload, what=WHAT), what=WHAT)
    return record_outcomes(records, parse_record, context, key_field="slug")


def parse_record(record: dict, context: ImportContext) -> list[Row]:
    slug = text(record.get("slug"))
    if not slug:
        raise RecordError("no slug: the spec requires one, and it is the meeting's key")
    days, listed = parse_days(record.get("day"))
    program, note = record_program(record, context)
    values, warnings = meeting_values(record, context, program=program)
    warnings.extend(note)
    return [
        Row(f"{slug}-{day}" if listed else slug, {**values, "day": day}, warnings) for day in days
    ]


def record_program(record: dict, context: ImportContext) -> tuple[Program | None, list[str]]:
    """The feed's program, unless the record names a known one in `program` (an extra field
    the spec does not define; this project's published feeds write it)."""
    key = text(record.get("program")).upper()
    if not key:
        return context.program, []
    if key in context.programs:
        return context.programs[key], []
    return context.program, [f"program {key[:20]!r} unknown: the feed's program is used"]


def parse_days(value: Any) -> tuple[list[int], bool]:
    """The days (0 = Sunday) and whether the feed gave a list."""
    if value is None or value == "" or value == []:
        raise RecordError("no day: only weekly meetings can be imported")
    if not isinstance(value, list):
        return [parse_day(value)], False
    days: list[int] = []
    for item in value:
        day = parse_day(item)
        if day not in days:
            days.append(day)
    return days, True


def meeting_values(
    record: dict, context: ImportContext, *, program: Program | None
) -> tuple[dict[str, Any], list[str]]:
    """Every imported field but `day`, from a record with Meeting Guide's field names.

    BMLT and CSV records are renamed into this shape first, so all three formats are judged
    by the same rules.
    """
    warnings: list[str] = []
    name = text(record.get("name"))
    if not name:
        raise RecordError("no name")
    if program is None:
        raise RecordError("no program: name one in the program column or with --program")
    start = parse_time(record.get("time"), "time")
    if end_time := text(record.get("end_time")):
        end = parse_time(end_time, "end_time")
        if end == start:
            warnings.append("end_time equals time: taken as one hour")
            end = add_minutes(start, DEFAULT_DURATION_MINUTES)
    else:
        end = add_minutes(start, DEFAULT_DURATION_MINUTES)
    time_zone = parse_time_zone(record.get("timezone"), context.default_time_zone)

    place = split_formatted_address(text(record.get("formatted_address")))
    for field, key in (
        ("address", "address"),
        ("city", "city"),
        ("region", "state"),
        ("postal_code", "postal_code"),
        ("country", "country"),
    ):
        if value := text(record.get(key)):
            place[field] = value
    latitude, longitude = parse_coordinates(
        record.get("latitude"), record.get("longitude"), warnings
    )

    conference_url = parse_url(record.get("conference_url"), "conference_url", warnings)
    conference_phone = text(record.get("conference_phone"))
    if len(conference_phone) > PHONE_MAX_LENGTH:
        # A cut phone number dials someone else: drop it rather than shorten it.
        warnings.append(f"conference_phone dropped: longer than {PHONE_MAX_LENGTH} characters")
        conference_phone = ""
    types = parse_types(record.get("types"), warnings)
    attendance, is_active = attendance_for(
        text(record.get("attendance_option")).lower(),
        has_conference=bool(conference_url or conference_phone),
        # An approximate place ("San Jose, CA, USA") has no street: nobody can walk in.
        has_location=bool(place["address"]) and text(record.get("approximate")).lower() != "yes",
        temporarily_closed="TC" in types,
        warnings=warnings,
    )
    values = {
        "program_id": program.pk,
        "name": fit(name, 255, "name", warnings),
        "start_time": start,
        "end_time": end,
        "time_zone": time_zone,
        "attendance_option": attendance,
        "location_name": fit(text(record.get("location")), 255, "location", warnings),
        "address": fit(place["address"], 500, "address", warnings),
        "city": fit(place["city"], 100, "city", warnings),
        "region": fit(place["region"], 100, "state", warnings),
        "postal_code": fit(place["postal_code"], 20, "postal_code", warnings),
        "country": fit(place["country"], 100, "country", warnings),
        "feed_regions": parse_regions(record),
        "latitude": latitude,
        "longitude": longitude,
        "location_notes": text(record.get("location_notes")),
        "conference_url": conference_url,
        "conference_url_notes": text(record.get("conference_url_notes")),
        "conference_phone": conference_phone,
        "conference_phone_notes": text(record.get("conference_phone_notes")),
        "types": types,
        "notes": text(record.get("notes")),
        "source_updated_at": parse_updated(record.get("updated"), warnings),
        "is_active": is_active,
    }
    return values, warnings


def attendance_for(
    given: str,
    *,
    has_conference: bool,
    has_location: bool,
    temporarily_closed: bool,
    warnings: list[str],
) -> tuple[str, bool]:
    """(attendance option, is active): the feed's own word where it gives a known one."""
    derived, is_active = derive_attendance(
        has_conference=has_conference,
        has_location=has_location,
        temporarily_closed=temporarily_closed,
    )
    if given in ATTENDANCE_OPTIONS:
        return given, True
    if given == "inactive":  # 12 Step Meeting List's fourth option: listed, not being held
        return derived, False
    if given:
        warnings.append(f"attendance_option {given!r} unknown: derived from the record instead")
    return derived, is_active


def parse_regions(record: dict) -> list[str]:
    """`regions` (a list, or "A > B" as Google Sheets write it), else `region`, `sub_region`."""
    regions = record.get("regions")
    if isinstance(regions, str):
        regions = regions.split(">")
    if isinstance(regions, list):
        names = [text(name) for name in regions]
    else:
        names = [text(record.get("region")), text(record.get("sub_region"))]
    return [name[:100] for name in names if name]
