"""Session notes, the resistance themes voiced in them, and their addenda."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clients.models.clients import Client, StageOfChange
from recovery.fields import EncryptedJSONField, EncryptedTextField
from recovery.models import Practice


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
            # The dashboard's drifting clients (selectors.dashboard.drifting: seen lately, lapses
            # flagged): notes by session date across a practice, with the client included so
            # the index alone answers.
            models.Index(fields=["session_date"], include=["client"], name="note_session_date"),
            # The dashboard's lapses flagged lately (selectors.dashboard.drifting): few rows.
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
            # (selectors.dashboard.themes): read from the index alone.
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
