"""A practice's recommended meetings as a Meeting Guide feed (github.com/code4recovery/spec).

The records carry the spec's fields: `name`, `slug`, `day`, `time`, `end_time`, `timezone`,
`types`, the place (`location`, `formatted_address` and its parts, `latitude`/`longitude`)
or the conference fields, `notes`, `location_notes`, `regions` and `updated` ("YYYY-MM-DD
HH:MM:SS", UTC). Text is published without HTML, and nothing names a person: no contact
names, emails or phone numbers of members are kept in the catalogue, so none can leak here.
`program` and `attendance_option` are extra fields (the spec allows extras; this project's
importer reads both), so a round trip keeps an NA or SMART meeting what it was.
"""

import datetime
import hashlib
import json
import re
from html import unescape
from typing import Any

from django.db.models import QuerySet
from django.utils.html import strip_tags
from django.utils.text import slugify

from groups.models import AttendanceOption, Meeting, PublishedList, RecommendedMeeting

_SPACES = re.compile(r"[ \t]+")


def plain(value: str) -> str:
    """Text without tags or entities, as the spec asks ("no HTML")."""
    return _SPACES.sub(" ", unescape(strip_tags(value))).strip()


def recommended_meetings(practice_id: int) -> QuerySet[Meeting]:
    """The practice's recommended meetings that are still listed, in the week's order."""
    return (
        Meeting.objects.filter(
            is_active=True,
            pk__in=RecommendedMeeting.objects.filter(practice_id=practice_id).values("meeting_id"),
        )
        .select_related("program")
        .order_by("day", "start_time", "name", "pk")
    )


def meeting_slug(meeting: Meeting) -> str:
    """Stable for as long as the meeting exists, and unique in the feed (the id makes it so)."""
    return f"{slugify(meeting.name)[:60].strip('-') or 'meeting'}-{meeting.pk}"


def _updated(meeting: Meeting) -> str:
    moment = meeting.source_updated_at or meeting.updated_at
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def meeting_record(meeting: Meeting) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": plain(meeting.name),
        "slug": meeting_slug(meeting),
        "day": meeting.day,
        "time": meeting.start_time.strftime("%H:%M"),
        "end_time": meeting.end_time.strftime("%H:%M"),
        "timezone": meeting.time_zone,
        "types": list(meeting.types),
        "attendance_option": meeting.attendance_option,
        "program": meeting.program.key,
        "updated": _updated(meeting),
    }
    if meeting.attendance_option != AttendanceOption.ONLINE:
        parts = {
            "address": meeting.address,
            "city": meeting.city,
            "state": meeting.region,
            "postal_code": meeting.postal_code,
            "country": meeting.country,
        }
        record["location"] = plain(meeting.location_name)
        record.update({key: plain(value) for key, value in parts.items() if value})
        state_zip = " ".join(v for v in (meeting.region, meeting.postal_code) if v)
        record["formatted_address"] = ", ".join(
            plain(v) for v in (meeting.address, meeting.city, state_zip, meeting.country) if v
        )
        if meeting.latitude is not None and meeting.longitude is not None:
            record["latitude"], record["longitude"] = meeting.latitude, meeting.longitude
    for field in (
        "conference_url",
        "conference_url_notes",
        "conference_phone",
        "conference_phone_notes",
    ):
        if value := getattr(meeting, field):
            record[field] = value if field == "conference_url" else plain(value)
    for field in ("notes", "location_notes"):
        if value := plain(getattr(meeting, field)):
            record[field] = value
    if meeting.feed_regions:
        record["regions"] = [plain(name) for name in meeting.feed_regions]
    return record


def published_feed_body(published: PublishedList) -> bytes:
    records = [meeting_record(meeting) for meeting in recommended_meetings(published.practice_id)]
    return json.dumps(records, ensure_ascii=False, indent=1).encode()


def body_etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def unique_slug(name: str) -> str:
    base = slugify(name)[:50].strip("-") or "practice"
    slug, number = base, 2
    while PublishedList.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug
