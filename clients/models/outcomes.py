"""Outcome measures: questionnaires scheduled, sent, and answered."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from clients.models.clients import Client
from recovery.fields import EncryptedJSONField


class Instrument(models.TextChoices):
    """The instruments of clients.outcomes, which holds their wording and scoring."""

    READINESS_RULER = "readiness_ruler", "Readiness ruler"
    BARC10 = "barc10", "Brief Assessment of Recovery Capital (BARC-10)"
    BAM = "bam", "Brief Addiction Monitor (BAM)"
    PHQ9 = "phq9", "PHQ-9 (depression)"
    GAD7 = "gad7", "GAD-7 (anxiety)"


class MeasureSource(models.TextChoices):
    THERAPIST = "therapist", "Entered by the therapist"
    CLIENT = "client", "By the client"


class MeasureSchedule(models.Model):
    """ "BAM every 30 days": the planner sends the client a MeasureRequest when one is due."""

    PRACTICE_PATH = "client__practice"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="measure_schedules")
    instrument = models.CharField(max_length=20, choices=Instrument.choices)
    every_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(7), MaxValueValidator(365)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["instrument"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "instrument"],
                condition=Q(stopped_at__isnull=True),
                name="measure_schedule_one_running",
            ),
            models.CheckConstraint(
                condition=Q(every_days__gte=7, every_days__lte=365),
                name="measure_schedule_interval_range",
            ),
            models.CheckConstraint(
                condition=Q(instrument__in=Instrument.values), name="measure_schedule_instrument"
            ),
        ]
        indexes = [
            # What the planner (clients.tasks.plan_measure_requests) reads on every run.
            models.Index(
                fields=["client"], condition=Q(stopped_at__isnull=True), name="measure_schedule_on"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} every {self.every_days} days"


class MeasureRequest(models.Model):
    """One questionnaire sent to a client: its email is a Reminder row of kind "measure", its
    link is signed for that row, and it can be completed once, before it expires."""

    PRACTICE_PATH = "client__practice"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="measure_requests")
    instrument = models.CharField(max_length=20, choices=Instrument.choices)
    schedule = models.ForeignKey(
        MeasureSchedule,
        on_delete=models.PROTECT,
        related_name="requests",
        null=True,
        blank=True,
    )
    # The therapist who sent it by hand; a scheduled request names its schedule instead.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(instrument__in=Instrument.values), name="measure_request_instrument"
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(cancelled_at__isnull=True),
                name="measure_request_completed_or_cancelled",
            ),
        ]
        indexes = [
            models.Index(
                fields=["client", "instrument", "-created_at"], name="measure_request_last"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} sent {self.created_at:%Y-%m-%d}"

    def is_open(self, now: datetime.datetime) -> bool:
        return self.completed_at is None and self.cancelled_at is None and now < self.expires_at


class OutcomeMeasureQuerySet(models.QuerySet):
    def mark_series_ends(self, client_id: int, instrument: str) -> tuple[int | None, int | None]:
        """Flag the client's first and latest measure of the instrument (by day, then id) and
        unflag any other; returns their ids. Serialised per client by locking its row, so
        two measures saved at once cannot both end up "latest". Touches at most four rows."""
        list(Client.objects.select_for_update().filter(pk=client_id).values_list("pk"))
        series = self.model.objects.filter(client_id=client_id, instrument=instrument)
        first = series.order_by("administered_on", "id").values_list("id", flat=True).first()
        latest = series.order_by("-administered_on", "-id").values_list("id", flat=True).first()
        series.filter(Q(pk__in=[first, latest]) | Q(is_first=True) | Q(is_latest=True)).update(
            is_first=models.Case(models.When(pk=first, then=True), default=False),
            is_latest=models.Case(models.When(pk=latest, then=True), default=False),
        )
        return first, latest


def set_series_ends(measures: list["OutcomeMeasure"]) -> None:
    """Set the first and latest flags on unsaved measures about to be bulk-inserted in this
    order (which gives their ids), for clients who have no measures yet: the seeders'."""
    ends: dict[tuple[int, str], list[OutcomeMeasure]] = {}
    ordered = sorted(enumerate(measures), key=lambda pair: (pair[1].administered_on, pair[0]))
    for _position, measure in ordered:
        measure.is_first = measure.is_latest = False
        # The client may have been bulk-inserted just before, its id not yet copied here.
        client_id = measure.client_id or measure.client.pk
        series = ends.setdefault((client_id, measure.instrument), [measure, measure])
        series[1] = measure
    for first, latest in ends.values():
        first.is_first = latest.is_latest = True


class OutcomeMeasure(models.Model):
    """One administration of a standard instrument; the score is computed by code."""

    PRACTICE_PATH = "client__practice"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="outcomes")
    instrument = models.CharField(max_length=20, choices=Instrument.choices)
    administered_on = models.DateField()
    # Item answers keyed by item ("1", "7A", "importance"), as clients.outcomes names them:
    # the client's own words about their use and mood, so encrypted like a note.
    responses = EncryptedJSONField(default=dict)
    # Figures computed by clients.outcomes.score() from the answers, never typed in; kept
    # in the clear so the chart and the dashboard can read them without the answers.
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    band = models.CharField(max_length=30, blank=True)
    # PHQ-9 item 9 above 0: the therapist sees it at once on the caseload and client page.
    safety_flag = models.BooleanField(default=False)
    source = models.CharField(
        max_length=10, choices=MeasureSource.choices, default=MeasureSource.THERAPIST
    )
    # The therapist who entered it; empty when the client completed it from a link.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    request = models.OneToOneField(
        MeasureRequest,
        on_delete=models.PROTECT,
        related_name="measure",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Whether this is the client's first / latest measure of its instrument (by day, then
    # id), kept by save(): the dashboard reads each series' ends from a small index instead
    # of ranking every measure. Bulk inserts set them with mark_series_ends().
    is_first = models.BooleanField(default=False, editable=False)
    is_latest = models.BooleanField(default=False, editable=False)

    objects = OutcomeMeasureQuerySet.as_manager()

    class Meta:
        ordering = ["-administered_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(instrument__in=Instrument.values), name="outcome_instrument_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=MeasureSource.values), name="outcome_source_valid"
            ),
            # Who answered is always known: a named therapist, or the client through a link.
            models.CheckConstraint(
                condition=Q(source=MeasureSource.THERAPIST, entered_by__isnull=False)
                | Q(source=MeasureSource.CLIENT, request__isnull=False),
                name="outcome_who_answered",
            ),
        ]
        indexes = [
            # The client page's charts and the dashboard's latest-per-client reads.
            models.Index(fields=["client", "instrument", "administered_on"], name="outcome_series"),
            models.Index(fields=["administered_on"], name="outcome_when"),
            # The dashboard's BARC-10 change (first and latest) and latest PHQ-9s
            # (selectors.dashboard.outcomes), and the caseload's safety flag. Covering on
            # PostgreSQL (SQLite drops the INCLUDE): the rows are wide with the encrypted
            # answers, and an index-only scan never reads them.
            models.Index(
                fields=["instrument", "client"],
                include=["id", "administered_on", "is_first", "is_latest", "total", "band"]
                + ["safety_flag"],
                condition=Q(is_first=True) | Q(is_latest=True),
                name="outcome_series_ends",
            ),
            # The dashboard's share measured lately (selectors.dashboard.outcomes): the clients
            # whose latest measure of some instrument is recent, from a short range.
            models.Index(
                fields=["administered_on"],
                include=["client"],
                condition=Q(is_latest=True),
                name="outcome_latest_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} on {self.administered_on:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        with transaction.atomic():
            super().save(*args, **kwargs)
            first, latest = OutcomeMeasure.objects.mark_series_ends(self.client_id, self.instrument)
        self.is_first, self.is_latest = self.pk == first, self.pk == latest

    def clean(self):
        if self.client_id is not None and self.client.is_restricted:
            raise ValidationError(
                {
                    "client": "This record is restricted after an erasure request: nothing more "
                    "is recorded on it."
                }
            )
