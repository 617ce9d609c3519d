"""Clients and everything a therapist records about them.

Every model here reaches a practice (directly or through its client); `PRACTICE_PATH`
names that lookup so the admin can scope any of them the same way.
"""

import datetime
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from groups.models import Meeting
from recovery.fields import EncryptedJSONField, EncryptedTextField
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
            # The dashboard's figures over a practice's clients (clients.dashboard): the
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


class ResistanceTheme(models.Model):
    """A barrier a client voices about community support, with what may help.

    The curated taxonomy (practice = NULL) is seeded by a data migration; a practice may
    add its own. `meeting_features` are tokens that matching reads: "attendance:online",
    "type:BE" (a Meeting Guide type code), "program:SMART", "program:secular".
    """

    PRACTICE_PATH = "practice"
    PRACTICE_NULL_IS_SHARED = True

    practice = models.ForeignKey(
        Practice,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="themes",
        help_text="Empty for the curated taxonomy every practice shares.",
    )
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=120)
    description = models.TextField()
    questions = models.JSONField(default=list, help_text="Questions a therapist might explore.")
    reframes = models.JSONField(default=list, help_text="Reframes a therapist might offer.")
    meeting_features = models.JSONField(
        default=list, blank=True, help_text="Meeting features that may lower this barrier."
    )
    position = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"], condition=Q(practice__isnull=True), name="theme_curated_slug"
            ),
            models.UniqueConstraint(fields=["practice", "slug"], name="theme_practice_slug"),
        ]

    def __str__(self) -> str:
        return self.name


class NoteFormat(models.TextChoices):
    SOAP = "soap", "SOAP"
    DAP = "dap", "DAP"
    BIRP = "birp", "BIRP"
    FREE = "free", "Free text"


# The sections of each note format, in order: (key, label, help text).
NOTE_SECTIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    NoteFormat.SOAP: (
        ("subjective", "Subjective", "What the client reports, in their words."),
        ("objective", "Objective", "What you observed: presentation, affect, measures."),
        ("assessment", "Assessment", "Your clinical impression and progress."),
        ("plan", "Plan", "Interventions and what happens next."),
    ),
    NoteFormat.DAP: (
        ("data", "Data", "What the client said and what you observed."),
        ("assessment", "Assessment", "Your interpretation and progress."),
        ("plan", "Plan", "Next steps, homework, next session."),
    ),
    NoteFormat.BIRP: (
        ("behavior", "Behavior", "The client's presentation and what they reported."),
        ("intervention", "Intervention", "What you did in the session."),
        ("response", "Response", "How the client responded."),
        ("plan", "Plan", "Next steps."),
    ),
    NoteFormat.FREE: (("note", "Note", "The session in your own words."),),
}


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class SignedNoteError(Exception):
    """A signed note never changes; corrections are addenda."""


class SessionNote(models.Model):
    PRACTICE_PATH = "client__practice"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="session_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="session_notes"
    )
    session_date = models.DateField()
    duration_minutes = models.PositiveSmallIntegerField(
        default=50, validators=[MinValueValidator(1), MaxValueValidator(480)]
    )
    format = models.CharField(max_length=8, choices=NoteFormat.choices, default=NoteFormat.DAP)
    # {section key: text} for the note's format; encrypted as one document.
    sections = EncryptedJSONField(default=dict)
    stage_of_change = models.CharField(
        max_length=20,
        choices=StageOfChange.choices,
        blank=True,
        help_text="Stage of change at this session.",
    )
    craving_reported = models.BooleanField(default=False)
    lapse_reported = models.BooleanField(default=False)
    next_steps = EncryptedTextField(blank=True)
    status = models.CharField(max_length=8, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Bumped on every save of a draft: two people editing one draft cannot silently
    # overwrite each other.
    version = models.PositiveIntegerField(default=1)
    themes = models.ManyToManyField(ResistanceTheme, through="NoteTheme", related_name="notes")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-session_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=NoteFormat.values), name="note_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=480),
                name="note_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(status=NoteStatus.DRAFT, signed_at__isnull=True, signed_by__isnull=True)
                | Q(status=NoteStatus.SIGNED, signed_at__isnull=False, signed_by__isnull=False),
                name="note_signature_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(stage_of_change="") | Q(stage_of_change__in=StageOfChange.values),
                name="note_stage_valid",
            ),
        ]
        indexes = [
            # A client's timeline, newest first.
            models.Index(fields=["client", "-session_date"], name="note_client_date"),
            # The dashboard's drifting clients (clients.dashboard.drifting: seen lately, lapses
            # flagged): notes by session date across a practice, with the client included so
            # the index alone answers.
            models.Index(fields=["session_date"], include=["client"], name="note_session_date"),
            # The dashboard's lapses flagged lately (clients.dashboard.drifting): few rows.
            models.Index(
                fields=["session_date"],
                include=["client"],
                condition=Q(lapse_reported=True),
                name="note_lapse_date",
            ),
            # Notes left unsigned, per author.
            models.Index(
                fields=["author", "session_date"],
                condition=Q(status="draft"),
                name="note_unsigned_by_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} note, {self.session_date:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        # A guarantee at the ORM level too, not only in the services: once the stored row is
        # signed, nothing rewrites it.
        if self.pk and SessionNote.objects.filter(pk=self.pk, status=NoteStatus.SIGNED).exists():
            raise SignedNoteError("A signed note cannot be changed; add an addendum instead.")
        super().save(*args, **kwargs)
        # The themes carry the session day for the dashboard; a draft's date may change.
        self.note_themes.exclude(session_date=self.session_date).update(
            session_date=self.session_date
        )

    def delete(self, *args, **kwargs):
        if self.is_signed:
            raise SignedNoteError("A signed note cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED

    def section_items(self) -> list[tuple[str, str, str]]:
        """(key, label, text) for each section of this note's format, in order."""
        return [
            (key, label, (self.sections or {}).get(key, ""))
            for key, label, _help in NOTE_SECTIONS[self.format]
        ]


class NoteTheme(models.Model):
    """A resistance theme voiced in one session, with its intensity (1 mild – 3 strong)."""

    PRACTICE_PATH = "note__client__practice"

    note = models.ForeignKey(SessionNote, on_delete=models.CASCADE, related_name="note_themes")
    theme = models.ForeignKey(ResistanceTheme, on_delete=models.PROTECT, related_name="+")
    intensity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    # Copies of the note's client and session day, kept by save() here and by
    # SessionNote.save(), so the practice-wide theme counts read this table alone instead of
    # joining every note of the period.
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", editable=False)
    session_date = models.DateField(editable=False)

    class Meta:
        ordering = ["-intensity", "theme__position"]
        indexes = [
            # The dashboard's themes of the period, overall and by month
            # (clients.dashboard.themes): read from the index alone.
            models.Index(
                fields=["session_date"],
                include=["client", "theme", "intensity"],
                name="note_theme_session_date",
            ),
            # The same for one therapist's caseload: each of their clients' themes in the
            # period, a short range per client. (A practice's read DashboardThemeDay.)
            models.Index(
                fields=["client", "session_date"],
                include=["theme", "intensity"],
                name="note_theme_client_date",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["note", "theme"], name="note_theme_once"),
            models.CheckConstraint(
                condition=Q(intensity__gte=1, intensity__lte=3), name="note_theme_intensity_1_3"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.theme} ({self.intensity})"

    def save(self, *args, **kwargs):
        if self.note.is_signed:
            raise SignedNoteError("The themes of a signed note cannot be changed.")
        self.client_id = self.note.client_id
        self.session_date = self.note.session_date
        super().save(*args, **kwargs)


class Addendum(models.Model):
    """A dated correction or addition to a signed note, by its author."""

    PRACTICE_PATH = "note__client__practice"

    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "addenda"

    def __str__(self) -> str:
        return f"Addendum of {self.created_at:%Y-%m-%d %H:%M}"


class LadderStep(models.IntegerChoices):
    """The graded way into community support, from first contact to giving back."""

    LEARNED_ABOUT_OPTIONS = 1, "Learned about options"
    LISTENED_ONLINE = 2, "Listened to an online meeting (camera off)"
    ATTENDED_ONLINE = 3, "Attended an online meeting"
    ATTENDED_IN_PERSON = 4, "Attended an in-person meeting as a listener"
    CONNECTED_WITH_PEER = 5, "Connected with one peer in recovery"
    SHARED_IN_MEETING = 6, "Shared in a meeting"
    ATTENDS_REGULARLY = 7, "Attends regularly (a meeting a week for four weeks)"
    HOME_GROUP = 8, "Home group, sponsor or service"


class LadderMove(models.Model):
    """One dated move on the engagement ladder; the latest is where the client stands."""

    PRACTICE_PATH = "client__practice"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="ladder_moves")
    step = models.PositiveSmallIntegerField(choices=LadderStep.choices)
    reached_on = models.DateField()
    comment = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-reached_on", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(step__gte=1, step__lte=8), name="ladder_step_range"),
        ]
        indexes = [
            # "Where does each client stand now": the latest move per client.
            models.Index(
                fields=["client", "-reached_on", "-created_at"], name="ladder_client_latest"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} on {self.reached_on:%Y-%m-%d}"


class Recurrence(models.TextChoices):
    ONCE = "once", "One occurrence"
    WEEKLY = "weekly", "Weekly"


class MeetingPlan(models.Model):
    """A client's plan to attend a meeting: once, or weekly until a date."""

    PRACTICE_PATH = "client__practice"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="meeting_plans")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="plans")
    recurrence = models.CharField(
        max_length=8, choices=Recurrence.choices, default=Recurrence.WEEKLY
    )
    starts_on = models.DateField()
    until = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # What the therapist wrote about why this meeting: the client reads it on their page.
    why = EncryptedTextField(blank=True)
    # Kept by the reminder planner (clients.services.reminders.reminders_plan) so that a run
    # reads only the plans it may have something to write for: the occurrences starting
    # before `reminders_planned_through` are planned, as of the client's and the meeting's
    # `updated_at` copied beside it (a change to either plans the plan again). All null
    # until the planner first reads the plan.
    reminders_planned_through = models.DateTimeField(null=True, blank=True, editable=False)
    reminders_client_version = models.DateTimeField(null=True, blank=True, editable=False)
    reminders_meeting_version = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(recurrence__in=Recurrence.values), name="plan_recurrence_valid"
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=F("starts_on")),
                name="plan_until_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(recurrence=Recurrence.ONCE) | Q(until__isnull=True),
                name="plan_once_has_no_until",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} from {self.starts_on:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.cancelled_at is None

    def occurrences(
        self, start: datetime.datetime, end: datetime.datetime
    ) -> list[datetime.datetime]:
        """The planned occurrences (UTC) in [start, end): from `starts_on` through `until`.

        Plan dates are read in the meeting's own time zone, like its start times.
        """
        tz = zoneinfo.ZoneInfo(self.meeting.time_zone)
        first = datetime.datetime.combine(self.starts_on, datetime.time.min, tzinfo=tz)
        if self.recurrence == Recurrence.ONCE:
            # The first occurrence on or after the plan's date, whatever the window.
            only = next(self.meeting.occurrences(first, first + datetime.timedelta(days=8)))
            return [only] if start <= only < end else []
        if self.until:
            end = min(end, datetime.datetime.combine(self.until, datetime.time.max, tzinfo=tz))
        return list(self.meeting.occurrences(max(start, first), end))


class AttendanceStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ATTENDED = "attended", "Attended"
    MISSED = "missed", "Missed"
    SKIPPED = "skipped", "Skipped"


class ReportedBy(models.TextChoices):
    CLIENT = "client", "Client (email link)"
    THERAPIST = "therapist", "Therapist"


class MissReason(models.TextChoices):
    ANXIOUS = "anxious", "Felt anxious"
    SCHEDULE = "schedule", "Schedule"
    TRANSPORT = "transport", "Transport"
    NOT_READY = "not_ready", "Not ready"
    OTHER = "other", "Other"


class Attendance(models.Model):
    """What happened at one occurrence of a planned meeting."""

    PRACTICE_PATH = "plan__client__practice"

    plan = models.ForeignKey(MeetingPlan, on_delete=models.PROTECT, related_name="attendances")
    # The occurrence's start, in UTC (computed in the meeting's own time zone).
    occurrence_start = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=AttendanceStatus.choices, default=AttendanceStatus.PLANNED
    )
    reason = models.CharField(max_length=12, choices=MissReason.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)
    reported_by = models.CharField(max_length=10, choices=ReportedBy.choices, blank=True)
    reported_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reported_at = models.DateTimeField(null=True, blank=True)
    # When the client last answered by a reminder's one-click link. Kept when their therapist
    # then records the same meeting, so the dashboard still counts the answer.
    client_answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurrence_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "occurrence_start"], name="attendance_once_per_occurrence"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AttendanceStatus.values), name="attendance_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=AttendanceStatus.PLANNED)
                | (Q(reported_at__isnull=False) & ~Q(reported_by="")),
                name="attendance_outcome_is_reported",
            ),
            models.CheckConstraint(
                condition=~Q(reported_by=ReportedBy.THERAPIST) | Q(reported_by_user__isnull=False),
                name="attendance_therapist_report_names_user",
            ),
        ]
        indexes = [
            # The dashboard's attendance share (clients.dashboard.attendance_share) and missed
            # meetings (drifting): attendance by status and time; the plan is included so the
            # index alone answers.
            models.Index(
                fields=["status", "occurrence_start"],
                include=["plan"],
                name="attendance_status_when",
            ),
            # The dashboard's "answered" reminders (clients.dashboard.reminders_summary):
            # answers clients gave by one-click link, by when.
            models.Index(
                fields=["client_answered_at"],
                condition=Q(client_answered_at__isnull=False),
                name="attendance_client_answers",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.occurrence_start:%Y-%m-%d %H:%M}"


class ReminderKind(models.TextChoices):
    BEFORE = "before", "Before the meeting"
    CHECKIN = "checkin", "Check-in after the meeting"
    # A questionnaire sent to the client (MeasureRequest): the same outbox, consent, quiet
    # hours, claims and retries as a meeting reminder, with no plan or occurrence.
    MEASURE = "measure", "Questionnaire to complete"


class ReminderStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ReminderQuerySet(models.QuerySet):
    def of_client(self, client: "Client") -> "ReminderQuerySet":
        """Both kinds of a client's emails: a meeting reminder through its plan, a
        questionnaire's through its request.

        The two kinds are found apart and their ids united: an OR across the two joins reads
        every reminder in the table (27 ms with 90,000 of them), each half alone reads the
        client's own through an index (0.4 ms).
        """
        return self._of(Q(plan__client=client), Q(measure_request__client=client))

    def of_clients(self, clients: "models.QuerySet[Client]") -> "ReminderQuerySet":
        return self._of(Q(plan__client__in=clients), Q(measure_request__client__in=clients))

    def _of(self, through_plan: Q, through_request: Q) -> "ReminderQuerySet":
        ids = Reminder.objects.order_by()
        return self.filter(
            pk__in=ids.filter(through_plan)
            .values("pk")
            .union(ids.filter(through_request).values("pk"), all=True)
        )


class Reminder(models.Model):
    """One email to send: for one occurrence of a plan, or one questionnaire
    (`measure_request`). The row is the source of truth."""

    # The admin lists meeting reminders; a questionnaire's email shows with its request.
    PRACTICE_PATH = "plan__client__practice"

    plan = models.ForeignKey(
        MeetingPlan, on_delete=models.PROTECT, related_name="reminders", null=True, blank=True
    )
    occurrence_start = models.DateTimeField(null=True, blank=True)
    measure_request = models.OneToOneField(
        "MeasureRequest",
        on_delete=models.PROTECT,
        related_name="reminder",
        null=True,
        blank=True,
    )
    kind = models.CharField(max_length=8, choices=ReminderKind.choices)
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "occurrence_start", "kind"], name="reminder_once_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ReminderKind.values), name="reminder_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReminderStatus.values), name="reminder_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ReminderStatus.SENT) | Q(sent_at__isnull=False),
                name="reminder_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReminderStatus.SENDING) | Q(claimed_at__isnull=False),
                name="reminder_sending_is_claimed",
            ),
            # A meeting reminder has a plan and an occurrence and no questionnaire; a
            # questionnaire's email has only its request.
            models.CheckConstraint(
                condition=(
                    Q(
                        kind=ReminderKind.MEASURE,
                        measure_request__isnull=False,
                        plan__isnull=True,
                        occurrence_start__isnull=True,
                    )
                    | (
                        ~Q(kind=ReminderKind.MEASURE)
                        & Q(
                            measure_request__isnull=True,
                            plan__isnull=False,
                            occurrence_start__isnull=False,
                        )
                    )
                ),
                name="reminder_for_a_meeting_or_a_questionnaire",
            ),
        ]
        indexes = [
            # Exactly what clients.tasks.dispatch_reminders polls every minute: rows still to
            # send (queued and due, or sending past their lease), oldest due first.
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=["queued", "sending"]),
                name="reminder_to_dispatch",
            ),
            # The dashboard's reminders sent and failed in the last 30 days
            # (clients.dashboard.reminders_summary).
            models.Index(fields=["sent_at"], condition=Q(status="sent"), name="reminder_sent_when"),
            models.Index(
                fields=["due_at"], condition=Q(status="failed"), name="reminder_failed_when"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.due_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def occurrence_end(self) -> datetime.datetime:
        return self.occurrence_start + self.plan.meeting.duration

    @property
    def client(self) -> "Client":
        """Whom the email goes to (a meeting reminder's plan's client, or the request's)."""
        return self.plan.client if self.plan_id else self.measure_request.client


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
            # (clients.dashboard_outcomes), and the caseload's safety flag. Covering on
            # PostgreSQL (SQLite drops the INCLUDE): the rows are wide with the encrypted
            # answers, and an index-only scan never reads them.
            models.Index(
                fields=["instrument", "client"],
                include=["id", "administered_on", "is_first", "is_latest", "total", "band"]
                + ["safety_flag"],
                condition=Q(is_first=True) | Q(is_latest=True),
                name="outcome_series_ends",
            ),
            # The dashboard's share measured lately (clients.dashboard_outcomes): the clients
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


class RecordSection(models.TextChoices):
    """What a client record export may include; the admin chooses for each disclosure."""

    PROFILE = "profile", "Client profile"
    NOTES = "notes", "Session notes with their sections and addenda"
    THEMES = "themes", "Resistance themes voiced"
    LADDER = "ladder", "Engagement ladder moves"
    PLANS = "plans", "Meeting plans and attendance"
    OUTCOMES = "outcomes", "Outcome measures"
    REMINDERS = "reminders", "Reminder emails (summary)"
    CONSENT = "consent", "Consent to email reminders"
    DISCLOSURES = "disclosures", "Earlier disclosures of this record"


class DisclosureFormat(models.TextChoices):
    JSON = "json", "Machine-readable file (JSON)"
    HTML = "html", "Printable page"


class Disclosure(models.Model):
    """One export of a client's record to someone: to whom, when, what and why.

    The accounting of disclosures a client may ask for (42 CFR 2.24, HIPAA 164.528).
    """

    PRACTICE_PATH = "practice"

    # Emptied, not deleted, when the record is deleted after its retention period: the
    # accounting of what left the practice, to whom and why, is kept (the DISCLOSE audit
    # events still name the client's number).
    client = models.ForeignKey(
        Client, on_delete=models.SET_NULL, null=True, related_name="disclosures"
    )
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)
    # Who received it and why can name people and conditions: encrypted like the record.
    recipient = EncryptedTextField()
    purpose = EncryptedTextField()
    sections = models.JSONField(default=list)
    format = models.CharField(max_length=8, choices=DisclosureFormat.choices)
    # The printable page exactly as it was disclosed, for its maker to refresh or print again
    # for a short while (clients.services.records.PRINTED_COPY_KEPT); emptied after that.
    printed_copy = EncryptedTextField(null=True, blank=True)

    class Meta:
        ordering = ["-made_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=DisclosureFormat.values), name="disclosure_format_valid"
            ),
        ]
        indexes = [models.Index(fields=["client", "-made_at"], name="disclosure_client_at")]

    def __str__(self) -> str:
        return f"Disclosure of {self.made_at:%Y-%m-%d %H:%M} ({self.format})"

    def section_labels(self) -> list[str]:
        return [RecordSection(key).label for key in self.sections if key in RecordSection.values]


class ClientPageSession(models.Model):
    """A client's short visit to their own page, begun by a signed link from an email.

    The cookie holds a random key; only its SHA-256 is stored, so a copy of this table opens
    nothing. A session ends when idle too long, at its maximum age, when the client leaves,
    or when the client's links are revoked (clients.services.client_page).
    """

    PRACTICE_PATH = "client__practice"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="page_sessions")
    key_hash = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(
                fields=["client"], condition=Q(ended_at__isnull=True), name="page_session_open"
            )
        ]

    def __str__(self) -> str:
        return f"Page session of client {self.client_id} from {self.started_at:%Y-%m-%d %H:%M}"


class ClientChangeKind(models.TextChoices):
    PREFERENCES = "preferences", "Changed reminder settings"
    PAUSED = "paused", "Paused reminders"
    RESUMED = "resumed", "Turned reminders back on"
    STOPPED = "stopped", "Stopped all emails"


class ClientPageChange(models.Model):
    """Something the client changed on their own page, in words the therapist reads on the
    client's page ("Reminder 1 day before, was 2 hours"). Holds settings, never notes."""

    PRACTICE_PATH = "client__practice"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="page_changes")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=12, choices=ClientChangeKind.choices)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ClientChangeKind.values), name="page_change_kind_valid"
            )
        ]
        indexes = [models.Index(fields=["client", "-at"], name="page_change_client_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.at:%Y-%m-%d %H:%M}"


# The dashboard's summaries (clients.dashboard). Database triggers keep them, in the same
# transaction as every write to the rows they sum, whichever code writes (services, bulk
# inserts, the admin, a migration): see migration 0018_dashboard_summaries, which installs
# one set of triggers for PostgreSQL (per statement, over its transition tables) and one for
# SQLite (per row). Nothing in Python writes them; tests check them against the source rows.
# A foreign key has no index of its own where the table's index leads with its column.


class DashboardThemeDay(models.Model):
    """How often each resistance theme was voiced in a practice on each session day, and its
    summed intensity: the practice-wide theme counts read a few hundred of these instead of
    every NoteTheme of the period."""

    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    theme = models.ForeignKey(ResistanceTheme, on_delete=models.CASCADE, related_name="+")
    session_date = models.DateField()
    times = models.IntegerField()
    intensity_sum = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "session_date", "theme"], name="dashboard_theme_day_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.times} × theme {self.theme_id} on {self.session_date:%Y-%m-%d}"


class DashboardAttendanceSpell(models.Model):
    """A client's stretch of attended meetings with no gap of 29 days or more: from the first
    attended occurrence to the last. Any 30-day window that overlaps the stretch holds one of
    its meetings (no gap inside is that long), so "attended in the window" is a comparison
    of two instants per spell instead of a look at every attendance row. The end of the
    client's previous spell lets a window that overlaps two spells count the client once."""

    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    previous_last_at = models.DateTimeField(null=True)

    # The gap that starts a new spell; it must stay under the shortest window (30 local days,
    # 29 days 23 hours across a DST change), which the dashboard's figures rely on.
    GAP = datetime.timedelta(days=29)

    class Meta:
        indexes = [
            # The attendance share of a practice, or of one therapist's caseload: the spells
            # reaching into its 26 windows.
            models.Index(
                fields=["practice", "last_at"],
                include=["client", "first_at", "previous_last_at"],
                name="dashboard_spell_practice",
            ),
            models.Index(
                fields=["client", "last_at"],
                include=["first_at", "previous_last_at"],
                name="dashboard_spell_client",
            ),
        ]

    def __str__(self) -> str:
        return f"Attended {self.first_at:%Y-%m-%d} to {self.last_at:%Y-%m-%d}"


class DashboardLadderMove(models.Model):
    """Each ladder move with the step before it and whether it is the client's latest (by
    day, then when recorded, then id): the funnel counts moves up and down in a period and
    where each client stands now without a window over every client's history."""

    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="dashboard_moves")
    reached_on = models.DateField()
    step = models.PositiveSmallIntegerField()
    previous_step = models.PositiveSmallIntegerField(null=True)
    is_latest = models.BooleanField()

    class Meta:
        indexes = [
            models.Index(
                fields=["practice", "reached_on"],
                include=["client", "step", "previous_step"],
                name="dashboard_move_when",
            ),
            models.Index(
                fields=["client"],
                include=["step"],
                condition=Q(is_latest=True),
                name="dashboard_move_latest",
            ),
        ]

    def __str__(self) -> str:
        return f"Step {self.previous_step} to {self.step} on {self.reached_on:%Y-%m-%d}"


class DashboardReminderHour(models.Model):
    """Per practice and hour (UTC): reminders sent in it (by when sent) and reminders failed
    (by when due). "The last 30 days" reads 720 of these and the few rows of its first,
    partial hour."""

    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    hour_start = models.DateTimeField()
    sent = models.IntegerField()
    failed = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "hour_start"], name="dashboard_reminder_hour_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.failed} failed from {self.hour_start:%Y-%m-%d %H:00}"


class DashboardClientNotes(models.Model):
    """A client's latest session day, and latest day with a lapse flagged, over all their
    notes: the drifting list decides "no session lately" and "lapse flagged lately" from one
    row per client, and sorts by the last session without a look at every client's notes."""

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, primary_key=True, related_name="dashboard_notes"
    )
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    last_session_on = models.DateField()
    last_lapse_on = models.DateField(null=True)

    def __str__(self) -> str:
        return f"Last session {self.last_session_on:%Y-%m-%d}"


class DashboardMissedMeeting(models.Model):
    """A copy of each attendance record marked missed, with its client and practice: the
    drifting list counts each client's missed meetings of the last 30 days from one index,
    without joining every plan of the practice."""

    attendance = models.OneToOneField(
        Attendance, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    occurrence_start = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                fields=["practice", "occurrence_start"],
                include=["client"],
                name="dashboard_missed_practice",
            ),
            models.Index(fields=["client", "occurrence_start"], name="dashboard_missed_client"),
        ]

    def __str__(self) -> str:
        return f"Missed {self.occurrence_start:%Y-%m-%d %H:%M}"
