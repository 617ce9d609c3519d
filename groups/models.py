"""The catalogue of mutual-help meetings. Shared by every practice; holds no client data."""

import datetime
import zoneinfo
from collections.abc import Iterator

from django.db import models
from django.db.models import Q

from recovery.models import validate_time_zone


class Program(models.Model):
    """A fellowship or mutual-help program (AA, SMART Recovery, ...), seeded by migration."""

    key = models.SlugField(max_length=20, unique=True, help_text="Short code, e.g. AA or SMART.")
    name = models.CharField(max_length=100)
    is_twelve_step = models.BooleanField()
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FeedFormat(models.TextChoices):
    MEETING_GUIDE = "meeting-guide", "Meeting Guide JSON"
    BMLT = "bmlt", "BMLT JSON"
    CSV = "csv", "CSV"


class Feed(models.Model):
    """A published source of meetings; imports upsert by (feed, source key)."""

    name = models.CharField(max_length=100, unique=True)
    format = models.CharField(max_length=16, choices=FeedFormat.choices)
    source = models.CharField(max_length=500, help_text="A file path or an http(s) URL.")
    default_program = models.ForeignKey(
        Program, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    default_time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    last_imported_at = models.DateTimeField(null=True, blank=True)
    last_report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=FeedFormat.values), name="feed_format_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    # Meeting Guide's numbering: 0 is Sunday.
    SUNDAY = 0, "Sunday"
    MONDAY = 1, "Monday"
    TUESDAY = 2, "Tuesday"
    WEDNESDAY = 3, "Wednesday"
    THURSDAY = 4, "Thursday"
    FRIDAY = 5, "Friday"
    SATURDAY = 6, "Saturday"


class AttendanceOption(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    ONLINE = "online", "Online"
    HYBRID = "hybrid", "Hybrid"


class Meeting(models.Model):
    """A weekly meeting, its time given in its own time zone."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="meetings")
    name = models.CharField(max_length=255)
    day = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    attendance_option = models.CharField(
        max_length=16, choices=AttendanceOption.choices, default=AttendanceOption.IN_PERSON
    )
    location_name = models.CharField(max_length=255, blank=True)
    address = models.CharField(max_length=500, blank=True)
    city = models.CharField(max_length=100, blank=True)
    # The state or province ("ME", "CA"): Meeting Guide's `state`, BMLT's `location_province`.
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)
    # Meeting Guide's `regions` (or `region` then `sub_region`), most general first: the
    # neighbourhoods or towns a feed groups its meetings by. Not the state, which is `region`.
    feed_regions = models.JSONField(default=list, blank=True)
    # Shared by every meeting at the place ("side door, basement room"): what an anxious
    # newcomer most needs to know before going in.
    location_notes = models.TextField(blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    conference_url = models.URLField(max_length=500, blank=True)
    conference_url_notes = models.TextField(blank=True)
    conference_phone = models.CharField(max_length=100, blank=True)
    conference_phone_notes = models.TextField(blank=True)
    # Meeting Guide type codes ("O", "BE", "W", ...); unknown codes are kept as given.
    types = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    feed = models.ForeignKey(
        Feed, on_delete=models.PROTECT, null=True, blank=True, related_name="meetings"
    )
    source_key = models.CharField(max_length=255, blank=True)
    source_updated_at = models.DateTimeField(null=True, blank=True)
    # Meetings that vanish from their feed are deactivated, never deleted: plans point here.
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day", "start_time", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["feed", "source_key"],
                condition=Q(feed__isnull=False),
                name="meeting_unique_source_key_per_feed",
            ),
            models.CheckConstraint(condition=Q(day__gte=0, day__lte=6), name="meeting_day_valid"),
            models.CheckConstraint(
                condition=Q(attendance_option__in=AttendanceOption.values),
                name="meeting_attendance_option_valid",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="meeting_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="meeting_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(feed__isnull=True) | ~Q(source_key=""),
                name="meeting_feed_rows_have_source_key",
            ),
        ]
        indexes = [
            models.Index(fields=["is_active", "day", "start_time"], name="meeting_active_day_time"),
            # The meeting search's distance filter: a latitude range, then longitude.
            models.Index(
                fields=["latitude", "longitude"],
                condition=Q(is_active=True, latitude__isnull=False),
                name="meeting_active_position",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_day_display()} {self.start_time:%H:%M})"

    @property
    def duration(self) -> datetime.timedelta:
        start = datetime.datetime.combine(datetime.date.min, self.start_time)
        end = datetime.datetime.combine(datetime.date.min, self.end_time)
        if end <= start:  # runs past midnight
            end += datetime.timedelta(days=1)
        return end - start

    @property
    def is_online(self) -> bool:
        return self.attendance_option in {AttendanceOption.ONLINE, AttendanceOption.HYBRID}

    def occurrences(
        self, start: datetime.datetime, end: datetime.datetime
    ) -> Iterator[datetime.datetime]:
        """Start times (UTC) of this weekly meeting in [start, end), computed in its own zone.

        Wall-clock time is kept across daylight-saving changes: a 19:00 meeting is at 19:00
        local time in summer and in winter. A start that does not exist on a spring-forward
        day (02:30) falls an hour later, when the clocks have moved on.
        """
        tz = zoneinfo.ZoneInfo(self.time_zone)
        python_weekday = (self.day - 1) % 7  # Meeting Guide counts from Sunday, Python Monday
        day = (start.astimezone(tz) - datetime.timedelta(days=1)).date()
        day += datetime.timedelta(days=(python_weekday - day.weekday()) % 7)
        while True:
            local = datetime.datetime.combine(day, self.start_time, tzinfo=tz)
            moment = local.astimezone(datetime.UTC)
            if moment >= end:
                return
            if moment >= start:
                yield moment
            day += datetime.timedelta(days=7)
