"""The engagement ladder: each step a client reaches."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clients.models.clients import Client


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
