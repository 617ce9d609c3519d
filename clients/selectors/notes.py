"""Reads for writing a session note: the themes a note may name."""

from django.db.models import Q, QuerySet

from clients.models import (
    Client,
    ResistanceTheme,
)


def themes_available_to(client: Client) -> QuerySet[ResistanceTheme]:
    """The curated taxonomy plus the client's practice's own themes."""
    return ResistanceTheme.objects.filter(
        Q(practice__isnull=True) | Q(practice_id=client.practice_id), is_active=True
    )
