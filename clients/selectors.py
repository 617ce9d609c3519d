"""Reads of client data. Every view reaches a client through these, scoped to the user."""

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404

from clients.models import Client, ClientStatus, LadderMove, ResistanceTheme, SessionNote
from recovery.models import Role, User


def clients_visible_to(user: User) -> QuerySet[Client]:
    """A therapist sees their own caseload; a manager or admin their whole practice."""
    if not user.is_authenticated or not user.is_active:
        return Client.objects.none()
    clients = Client.objects.filter(practice_id=user.practice_id)
    if user.role == Role.THERAPIST:
        clients = clients.filter(primary_therapist=user)
    elif user.role not in (Role.MANAGER, Role.ADMIN):
        return Client.objects.none()
    return clients


def get_client_for_user(user: User, pk: int | str) -> Client:
    """The client with this id if the user may see it; 404 otherwise, never 403.

    A 404 does not tell an outsider that the record exists. A malformed id is a 404 too.
    """
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such client.") from None
    return get_object_or_404(
        clients_visible_to(user).select_related("primary_therapist", "practice"), pk=pk
    )


def caseload_for_user(user: User, *, include_discharged: bool = False) -> QuerySet[Client]:
    """Visible clients with their current ladder step and last session date annotated.

    Oldest last session first, clients never seen before anyone: that is who is overdue.
    """
    latest_move = LadderMove.objects.filter(client=OuterRef("pk")).order_by(
        "-reached_on", "-created_at", "-id"
    )
    last_note = SessionNote.objects.filter(client=OuterRef("pk")).order_by("-session_date")
    clients = clients_visible_to(user).select_related("primary_therapist")
    if not include_discharged:
        clients = clients.filter(status=ClientStatus.ACTIVE)
    return clients.annotate(
        ladder_step=Subquery(latest_move.values("step")[:1]),
        last_session_on=Subquery(last_note.values("session_date")[:1]),
    ).order_by(F("last_session_on").asc(nulls_first=True), "preferred_name", "id")


def current_ladder_step(client: Client) -> LadderMove | None:
    return client.ladder_moves.order_by("-reached_on", "-created_at", "-id").first()


def themes_available_to(client: Client) -> QuerySet[ResistanceTheme]:
    """The curated taxonomy plus the client's practice's own themes."""
    return ResistanceTheme.objects.filter(
        Q(practice__isnull=True) | Q(practice_id=client.practice_id), is_active=True
    )
