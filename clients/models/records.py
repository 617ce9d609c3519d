"""Exports and disclosures of a client's record."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clients.models.clients import Client
from recovery.fields import EncryptedTextField
from recovery.models import Practice


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
