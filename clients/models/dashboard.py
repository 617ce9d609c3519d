"""The dashboard's summaries, kept current by database triggers (migration 0018)."""

import datetime

from django.db import models
from django.db.models import Q

from clients.models.clients import Client
from clients.models.notes import ResistanceTheme
from clients.models.plans import Attendance
from recovery.models import Practice


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


# Every summary the triggers keep: per practice first and last, per client in between.
SUMMARY_MODELS = (
    DashboardThemeDay,
    DashboardAttendanceSpell,
    DashboardMissedMeeting,
    DashboardLadderMove,
    DashboardClientNotes,
    DashboardReminderHour,
)
