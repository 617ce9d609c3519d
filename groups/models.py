"""The catalogue of mutual-help meetings. Shared by every practice; holds no client data."""

import datetime
import zoneinfo
from collections.abc import Iterator

from django.db import models
from django.db.models import Q
from django.utils import timezone

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


class FeedStatus(models.TextChoices):
    """Where a feed's import stands; the feed page shows it and polls while it moves."""

    IDLE = "idle", "Idle"
    QUEUED = "queued", "Waiting for a worker"
    FETCHING = "fetching", "Fetching the feed"
    IMPORTING = "importing", "Importing meetings"


class Feed(models.Model):
    """A published source of meetings; imports upsert by (feed, source key).

    A feed belongs to the practice whose admin added it (only that practice's admins change
    it) or, with no practice, to the hosting operator (the Django admin and the
    import_meetings command). Its meetings join the catalogue every practice searches.
    """

    PRACTICE_PATH = "practice"
    # The operator's feeds (no practice) are every practice's to read, none's to change.
    PRACTICE_NULL_IS_SHARED = True

    practice = models.ForeignKey(
        "recovery.Practice",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="feeds",
        help_text="The practice that manages this feed; empty for the hosting operator's.",
    )
    name = models.CharField(max_length=100)
    format = models.CharField(max_length=16, choices=FeedFormat.choices)
    source = models.CharField(
        max_length=500, blank=True, help_text="A file path or an http(s) URL."
    )
    # A feed uploaded as a file keeps its bytes here: a worker on another machine reads it
    # from the database, and a backup holds it with the meetings it made.
    upload = models.BinaryField(null=True, blank=True, editable=False)
    upload_name = models.CharField(max_length=255, blank=True)
    default_program = models.ForeignKey(
        Program, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    default_time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    # A paused feed is not refreshed; its meetings stay as they are.
    is_paused = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The last import that read the feed and wrote what changed.
    last_imported_at = models.DateTimeField(null=True, blank=True)
    last_report = models.JSONField(default=dict, blank=True)
    # The last time the source was read successfully, changed or not (a 304 counts).
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # Why the last attempt failed, in words for the admin; empty once one succeeds.
    last_error = models.TextField(blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    # Conditional GET: what the server said last time, and the bytes' digest, so an unchanged
    # feed costs one request and no parsing.
    etag = models.CharField(max_length=255, blank=True)
    last_modified = models.CharField(max_length=64, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=FeedStatus.choices, default=FeedStatus.IDLE)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=FeedFormat.values), name="feed_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=FeedStatus.values), name="feed_status_valid"
            ),
            models.UniqueConstraint(
                fields=["practice", "name"], name="feed_name_unique_per_practice"
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(practice__isnull=True),
                name="feed_name_unique_for_operator",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_upload(self) -> bool:
        return self.upload is not None

    @property
    def is_busy(self) -> bool:
        return self.status != FeedStatus.IDLE

    def is_stale(self, *, now: datetime.datetime, hours: int) -> bool:
        """A refreshed feed not read successfully for `hours` (failing, or never refreshed).

        An uploaded file or a paused feed is as fresh as its admin keeps it.
        """
        if self.is_paused or self.is_upload:
            return False
        since = self.last_checked_at or self.created_at
        return since is not None and since < now - datetime.timedelta(hours=hours)


class RecommendedMeeting(models.Model):
    """A meeting a practice recommends: its curated list, published as its own feed."""

    PRACTICE_PATH = "practice"

    practice = models.ForeignKey(
        "recovery.Practice", on_delete=models.CASCADE, related_name="recommended_meetings"
    )
    meeting = models.ForeignKey("Meeting", on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(
        "recovery.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "meeting"], name="recommended_meeting_once_per_practice"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} recommended by practice {self.practice_id}"


class PublishedList(models.Model):
    """A practice's recommended meetings as a public Meeting Guide feed at a stable URL."""

    PRACTICE_PATH = "practice"

    practice = models.OneToOneField(
        "recovery.Practice", on_delete=models.CASCADE, related_name="published_list"
    )
    slug = models.SlugField(
        max_length=60,
        unique=True,
        help_text="The feed's address: /meetings/published/<slug>/. Changing it breaks links.",
    )
    title = models.CharField(max_length=120, help_text="Shown on the public page.")
    is_published = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.title


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
