"""The catalogue's query building blocks, for the search's filters and for matching: time
windows, distance, upcoming occurrences. Pages read through groups.selectors."""

import datetime
import math
import zoneinfo

from django.core.cache import cache
from django.db.models import ExpressionWrapper, F, FloatField, Q, QuerySet

from groups.models import Meeting

EARTH_RADIUS_KM = 6371.0

# Parts of the day, in the meeting's own local time: (start, end), end exclusive.
TIMES_OF_DAY = {
    "morning": ("Morning (5 am–noon)", datetime.time(5), datetime.time(12)),
    "afternoon": ("Afternoon (noon–5 pm)", datetime.time(12), datetime.time(17)),
    "evening": ("Evening (5–9 pm)", datetime.time(17), datetime.time(21)),
    "night": ("Night (9 pm–5 am)", datetime.time(21), datetime.time(5)),
}


def active_meetings() -> QuerySet[Meeting]:
    return Meeting.objects.filter(is_active=True).select_related("program", "feed")


def filter_time_of_day(meetings: QuerySet[Meeting], part: str) -> QuerySet[Meeting]:
    _label, start, end = TIMES_OF_DAY[part]
    if start < end:
        return meetings.filter(start_time__gte=start, start_time__lt=end)
    return meetings.filter(Q(start_time__gte=start) | Q(start_time__lt=end))


def catalogue_time_zones() -> list[str]:
    """The time zones active meetings use. Cached for a minute: finding them scans the whole
    catalogue, and they change only when a feed brings a new region."""
    return cache.get_or_set(
        "groups:catalogue-time-zones",
        lambda: list(
            Meeting.objects.filter(is_active=True)
            .order_by()
            .values_list("time_zone", flat=True)
            .distinct()
        ),
        timeout=60,
    )


def filter_starting_within(
    meetings: QuerySet[Meeting], *, now: datetime.datetime, hours: int
) -> QuerySet[Meeting]:
    """Meetings whose next start falls in [now, now + hours), each in its own time zone.

    One condition per time zone the catalogue uses (a handful), so the database does the work.
    """
    end = now + datetime.timedelta(hours=hours)
    condition = Q(pk__in=[])
    for zone in catalogue_time_zones():
        tz = zoneinfo.ZoneInfo(zone)
        local, local_end = now.astimezone(tz), end.astimezone(tz)
        day = local.date()
        while day <= local_end.date():
            start_at = local.time() if day == local.date() else datetime.time.min
            window = Q(time_zone=zone, day=(day.weekday() + 1) % 7, start_time__gte=start_at)
            if day == local_end.date():
                window &= Q(start_time__lt=local_end.time())
            condition |= window
            day += datetime.timedelta(days=1)
    return meetings.filter(condition)


def filter_near(
    meetings: QuerySet[Meeting], *, latitude: float, longitude: float, km: float
) -> QuerySet[Meeting]:
    """Meetings with coordinates within `km`, nearest first, with `distance_sq` annotated.

    A bounding box the database can index, then an equirectangular distance for the order:
    within a few hundred kilometres it ranks exactly as the great-circle distance does.
    """
    lat_span = km / 111.32
    lng_span = km / (111.32 * max(math.cos(math.radians(latitude)), 0.01))
    scale = math.cos(math.radians(latitude))
    return (
        meetings.filter(
            latitude__range=(latitude - lat_span, latitude + lat_span),
            longitude__range=(longitude - lng_span, longitude + lng_span),
        )
        .annotate(
            distance_sq=ExpressionWrapper(
                (F("latitude") - latitude) * (F("latitude") - latitude)
                + (F("longitude") - longitude) * (F("longitude") - longitude) * scale * scale,
                output_field=FloatField(),
            )
        )
        .order_by("distance_sq", "id")
    )


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = math.radians(lat2 - lat1), math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def next_occurrences(
    meeting: Meeting, *, now: datetime.datetime, count: int = 4
) -> list[datetime.datetime]:
    return list(meeting.occurrences(now, now + datetime.timedelta(weeks=count)))[:count]
