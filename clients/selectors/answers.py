"""Reads about how clients answered their reminder emails, for the therapist's pages."""

import datetime

from django.db.models import Count
from django.utils import timezone

from clients.models import Attendance, AttendanceStatus, Client, MissReason


def recent_client_reasons(
    client: Client, *, since_days: int = 60, now: datetime.datetime | None = None
) -> list[tuple[str, int]]:
    """Why the client missed planned meetings lately: (reason label, count), most first.

    Counts every recorded reason, whether the client gave it with the email link or the
    therapist noted it: beside the resistance themes, the question is what keeps getting in
    the way, not who wrote it down. One query.
    """
    since = (now or timezone.now()) - datetime.timedelta(days=since_days)
    rows = (
        Attendance.objects.filter(plan__client=client, occurrence_start__gte=since)
        .exclude(status__in=[AttendanceStatus.ATTENDED, AttendanceStatus.PLANNED])
        .exclude(reason="")
        .values("reason")
        .annotate(count=Count("id"))
    )
    labels = dict(MissReason.choices)
    counted = [(labels.get(row["reason"], row["reason"]), row["count"]) for row in rows]
    return sorted(counted, key=lambda item: (-item[1], item[0]))
