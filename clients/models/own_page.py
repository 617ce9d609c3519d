"""The client's own page: its visits and the changes made on it."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from clients.models.clients import Client


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


# The dashboard's summaries (selectors.dashboard). Database triggers keep them, in the same
# transaction as every write to the rows they sum, whichever code writes (services, bulk
# inserts, the admin, a migration): see migration 0018_dashboard_summaries, which installs
# one set of triggers for PostgreSQL (per statement, over its transition tables) and one for
# SQLite (per row). Nothing in Python writes them; tests check them against the source rows.
# A foreign key has no index of its own where the table's index leads with its column.
