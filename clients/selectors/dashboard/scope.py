"""What the dashboard's figures cover: a period, and a scope of clients (a whole practice,
read from its summaries, or one caseload)."""

import datetime
from dataclasses import dataclass

from django.db.models import (
    QuerySet,
)

from clients.models import (
    Client,
)
from recovery.models import Role, User

WEEKS = 26
ATTENDANCE_DAYS = 30
REMINDER_DAYS = 30
HOUR = datetime.timedelta(hours=1)


@dataclass
class Period:
    start: datetime.date
    end: datetime.date


@dataclass(frozen=True)
class Scope:
    """The clients the figures cover, and, when they are a whole practice, which one: its
    figures then come from the practice's summaries."""

    clients: QuerySet[Client]
    practice_id: int | None = None

    @classmethod
    def of(cls, user: User, *, therapist: User | None) -> "Scope":
        """A manager's whole practice, or one therapist's caseload (a therapist's own)."""
        clients = Client.objects.visible_to(user)
        if therapist is not None:
            return cls(clients.filter(primary_therapist=therapist))
        if user.role in (Role.MANAGER, Role.ADMIN):
            return cls(clients, practice_id=user.practice_id)
        return cls(clients)

    def rows(self, queryset: QuerySet, client: str = "client") -> QuerySet:
        """The rows of these clients (reached through `client`). A whole practice's by its id:
        on the row itself for a summary, else on the joined client, which lets the database
        look up just the clients of the rows it reads instead of hashing every client."""
        if self.practice_id is None:
            return queryset.filter(**{f"{client}__in": self.clients})
        if any(field.name == "practice" for field in queryset.model._meta.fields):
            return queryset.filter(practice_id=self.practice_id)
        return queryset.filter(**{f"{client}__practice_id": self.practice_id})


def as_scope(clients: "QuerySet[Client] | Scope") -> Scope:
    # A plain queryset is any set of clients: its figures read their own rows.
    return clients if isinstance(clients, Scope) else Scope(clients)
