"""A client: who they are, what they prefer, how they can be reached."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from recovery.fields import EncryptedTextField
from recovery.models import Practice, Role, validate_time_zone


class StageOfChange(models.TextChoices):
    PRECONTEMPLATION = "precontemplation", "Precontemplation"
    CONTEMPLATION = "contemplation", "Contemplation"
    PREPARATION = "preparation", "Preparation"
    ACTION = "action", "Action"
    MAINTENANCE = "maintenance", "Maintenance"


class ClientStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DISCHARGED = "discharged", "Discharged"


class Substance(models.TextChoices):
    ALCOHOL = "alcohol", "Alcohol"
    OPIOIDS = "opioids", "Opioids"
    STIMULANTS = "stimulants", "Stimulants (cocaine, methamphetamine)"
    CANNABIS = "cannabis", "Cannabis"
    BENZODIAZEPINES = "benzodiazepines", "Benzodiazepines"
    NICOTINE = "nicotine", "Nicotine"
    GAMBLING = "gambling", "Gambling"
    OTHER = "other", "Other"


class AttendancePreference(models.TextChoices):
    ANY = "any", "No preference"
    ONLINE = "online", "Online"
    IN_PERSON = "in_person", "In person"


class ProgramPreference(models.TextChoices):
    ANY = "any", "No preference"
    SECULAR = "secular", "Secular (not 12-step)"
    TWELVE_STEP = "twelve_step", "12-step"


class GroupPreference(models.TextChoices):
    NONE = "", "No preference"
    WOMEN = "W", "Women's meetings"
    MEN = "M", "Men's meetings"


class ClientQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ClientQuerySet":
        """A therapist sees their own caseload; a manager or admin their whole practice;
        anyone else nobody. Every read of clients for a person starts here."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.THERAPIST:
            return self.filter(practice_id=user.practice_id, primary_therapist=user)
        if user.role in (Role.MANAGER, Role.ADMIN):
            return self.filter(practice_id=user.practice_id)
        return self.none()


class Client(models.Model):
    PRACTICE_PATH = "practice"
    # What staff edit on the client form (and client_create / client_update accept).
    EDITABLE_FIELDS = (
        "preferred_name",
        "primary_therapist",
        "contact_email",
        "time_zone",
        "substances",
        "stage_of_change",
        "status",
        "discharged_on",
        "notes",
        "attendance_preference",
        "program_preference",
        "group_preference",
        "prefers_lgbtq_meetings",
        "language",
        "available_days",
        "available_from",
        "available_until",
        "place_name",
        "latitude",
        "longitude",
        "max_distance_km",
    )
    # What the therapist sets on the reminders page (reminder_preferences_update accepts).
    REMINDER_PREFERENCE_FIELDS = (
        "reminder_lead_minutes",
        "checkin_enabled",
        "checkin_delay_minutes",
        "quiet_hours_start",
        "quiet_hours_end",
        "discreet_mode",
    )

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="clients")
    primary_therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="caseload"
    )
    preferred_name = models.CharField(max_length=120)
    contact_email = EncryptedTextField(blank=True)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    substances = models.JSONField(default=list, blank=True)
    stage_of_change = models.CharField(
        max_length=20, choices=StageOfChange.choices, default=StageOfChange.CONTEMPLATION
    )
    status = models.CharField(
        max_length=12, choices=ClientStatus.choices, default=ClientStatus.ACTIVE
    )
    discharged_on = models.DateField(null=True, blank=True)
    # Free-text notes about the client (not session notes): encrypted like them.
    notes = EncryptedTextField(blank=True)

    # Consent to email reminders: when, recorded by whom, and the wording the client agreed to.
    email_consent_at = models.DateTimeField(null=True, blank=True)
    email_consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    email_consent_text = models.TextField(blank=True)
    email_consent_withdrawn_at = models.DateTimeField(null=True, blank=True)
    # True when the client withdrew by the one-click link, False when recorded by staff.
    email_consent_withdrawn_by_client = models.BooleanField(default=False)

    # An erasure request restricts the record instead of deleting it (treatment records must
    # be kept for the retention period): see clients.services.records.
    erasure_requested_on = models.DateField(null=True, blank=True)
    restricted_at = models.DateTimeField(null=True, blank=True)
    restricted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    # Reminder preferences.
    reminder_lead_minutes = models.PositiveIntegerField(
        default=120, validators=[MinValueValidator(5), MaxValueValidator(7 * 24 * 60)]
    )
    checkin_enabled = models.BooleanField(default=True)
    checkin_delay_minutes = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(0), MaxValueValidator(24 * 60)]
    )
    quiet_hours_start = models.TimeField(default=datetime.time(21, 0))
    quiet_hours_end = models.TimeField(default=datetime.time(8, 0))
    discreet_mode = models.BooleanField(
        default=True,
        help_text="Reminder emails name no program, meeting or diagnosis.",
    )
    # Meeting reminders and check-ins wait until then: the client paused them on their page.
    reminders_paused_until = models.DateTimeField(null=True, blank=True)
    # Links to the client's own page signed before this are refused and its sessions end
    # (the therapist revoked them, consent to emails was withdrawn, or the client left care).
    page_links_revoked_at = models.DateTimeField(null=True, blank=True)

    # Meeting preferences, read by "Meetings that may fit" and the meeting search.
    attendance_preference = models.CharField(
        max_length=10, choices=AttendancePreference.choices, default=AttendancePreference.ANY
    )
    program_preference = models.CharField(
        max_length=12, choices=ProgramPreference.choices, default=ProgramPreference.ANY
    )
    group_preference = models.CharField(
        max_length=2, choices=GroupPreference.choices, blank=True, default=""
    )
    prefers_lgbtq_meetings = models.BooleanField(default=False)
    # A Meeting Guide language type code (e.g. "S" for Spanish); empty for no preference.
    language = models.CharField(max_length=8, blank=True)
    # Weekdays the client can attend, Meeting Guide numbering (0 = Sunday); empty for any.
    available_days = models.JSONField(default=list, blank=True)
    available_from = models.TimeField(null=True, blank=True)
    available_until = models.TimeField(null=True, blank=True)
    # An approximate point (a neighbourhood, not a home address) for distances to meetings,
    # and the ZIP code or town it was found from ("Portland, ME 04101"), as the form shows it.
    place_name = models.CharField(max_length=120, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    max_distance_km = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["preferred_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage_of_change__in=StageOfChange.values),
                name="client_stage_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=ClientStatus.ACTIVE, discharged_on__isnull=True)
                | Q(status=ClientStatus.DISCHARGED, discharged_on__isnull=False),
                name="client_discharge_date_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(email_consent_withdrawn_at__isnull=True)
                | Q(email_consent_at__isnull=False),
                name="client_withdrawal_needs_consent",
            ),
            models.CheckConstraint(
                condition=Q(email_consent_at__isnull=True)
                | Q(email_consent_recorded_by__isnull=False),
                name="client_consent_has_recorder",
            ),
            models.CheckConstraint(
                condition=Q(reminder_lead_minutes__gte=5, reminder_lead_minutes__lte=10080),
                name="client_lead_time_range",
            ),
            models.CheckConstraint(
                condition=Q(checkin_delay_minutes__lte=1440), name="client_checkin_delay_range"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="client_location_valid",
            ),
            models.CheckConstraint(
                condition=Q(attendance_preference__in=AttendancePreference.values)
                & Q(program_preference__in=ProgramPreference.values),
                name="client_preferences_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    erasure_requested_on__isnull=True,
                    restricted_at__isnull=True,
                    restricted_by__isnull=True,
                )
                | Q(
                    erasure_requested_on__isnull=False,
                    restricted_at__isnull=False,
                    restricted_by__isnull=False,
                ),
                name="client_restriction_complete",
            ),
            # A restricted record stays discharged and gets no email: nothing reopens it.
            models.CheckConstraint(
                condition=Q(restricted_at__isnull=True)
                | Q(
                    Q(email_consent_at__isnull=True) | Q(email_consent_withdrawn_at__isnull=False),
                    status=ClientStatus.DISCHARGED,
                ),
                name="client_restricted_stays_closed",
                violation_error_message=(
                    "This record is restricted after an erasure request: it stays discharged "
                    "and receives no email."
                ),
            ),
        ]
        indexes = [
            # The caseload: a therapist's active clients.
            models.Index(
                fields=["practice", "primary_therapist", "status"], name="client_caseload"
            ),
            # The dashboard's figures over a practice's clients (selectors.dashboard): the
            # practice's range of the index alone, however many practices share the table.
            models.Index(
                fields=["practice", "status"],
                include=["id", "primary_therapist", "created_at", "discharged_on"],
                name="client_practice_status",
            ),
        ]

    def __str__(self) -> str:
        return self.preferred_name

    @property
    def is_active(self) -> bool:
        return self.status == ClientStatus.ACTIVE

    @property
    def has_email_consent(self) -> bool:
        return self.email_consent_at is not None and self.email_consent_withdrawn_at is None

    @property
    def is_restricted(self) -> bool:
        return self.restricted_at is not None

    def reminders_paused(self, now: datetime.datetime) -> bool:
        return self.reminders_paused_until is not None and now < self.reminders_paused_until

    def clean(self):
        # Every form and service validates a client before saving it; a restricted record is
        # kept for the retention period as it was, never edited (the restriction itself is
        # saved by clients.services.records without a full_clean).
        if self.is_restricted:
            raise ValidationError(
                "This record is restricted after an erasure request and can no longer be edited."
            )
