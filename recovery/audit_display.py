"""Words for the audit trail page: which record a row is about and who acted, in the terms a
manager reads ("Session note of 3 Nov 2026", "Staff member Theo B.", "The client"), never the
raw label stored in the row. Nothing here reads note text or contact details."""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.apps import apps
from django.utils.formats import date_format
from django.utils.text import capfirst

from clients.models import SessionNote
from recovery.models import AuditAction, AuditEvent, User

# Events about someone's own sign-in: never the client's doing, whatever the row holds.
SIGN_IN_ACTIONS = frozenset(
    {
        AuditAction.LOGIN,
        AuditAction.LOGOUT,
        AuditAction.LOGIN_FAILED,
        AuditAction.LOCKED_OUT,
        AuditAction.OTP_ENROLLED,
        AuditAction.OTP_VERIFIED,
        AuditAction.OTP_FAILED,
        AuditAction.PASSWORD_CHANGED,
        AuditAction.SESSION_EXPIRED,
        AuditAction.INVITE_ACCEPT,
    }
)

# Where the model's own name says too little to a manager.
TYPE_NAMES = {"recovery.user": "Staff member", "clients.client": "Client record"}


def acted_from_email_link(event: AuditEvent) -> bool:
    """Whether a row written before AuditEvent.by_client existed was the client's own doing:
    no member of staff acted (nor anyone typed a sign-in name), the row is about a client,
    and it is no sign-in. Until then only a reminder email's links wrote such rows."""
    return (
        event.actor_id is None
        and not event.actor_identifier
        and event.client_id is not None
        and event.action not in SIGN_IN_ACTIONS
    )


def client_actor_label(event: AuditEvent) -> str:
    """ "Who" for a row the client wrote themselves; empty for every other row."""
    if event.by_client:
        return "The client"
    return "The client (by email link)" if acted_from_email_link(event) else ""


def _session_notes(ids: list[int], practice_id: int) -> dict[int, str]:
    rows = SessionNote.objects.filter(pk__in=ids, client__practice_id=practice_id)
    return {
        pk: f"of {date_format(day, 'j M Y')}" for pk, day in rows.values_list("pk", "session_date")
    }


def _staff(ids: list[int], practice_id: int) -> dict[int, str]:
    rows = User.objects.filter(pk__in=ids, practice_id=practice_id)
    return dict(rows.values_list("pk", "full_name"))


# Record types whose rows name more than a number, from fields that hold no clinical text or
# contact details: one query per type on a page, however many of its rows show.
DETAILS: dict[str, Callable[[list[int], int], dict[int, str]]] = {
    "clients.sessionnote": _session_notes,
    "recovery.user": _staff,
}


def type_name(object_type: str) -> str:
    """ "clients.sessionnote" → "Session note"; a type no longer in the code keeps its label."""
    if object_type in TYPE_NAMES:
        return TYPE_NAMES[object_type]
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return capfirst(str(model._meta.verbose_name))


def _number(object_id: str) -> int | None:
    return int(object_id) if re.fullmatch(r"[0-9]{1,18}", object_id) else None


def describe_events(events: Iterable[AuditEvent], *, practice_id: int) -> None:
    """Set `record_label` and `by_client_label` on each event of one page of the trail."""
    events = list(events)
    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        number = _number(event.object_id)
        if event.object_type in DETAILS and number is not None:
            wanted[event.object_type].add(number)
    details = {
        object_type: DETAILS[object_type](sorted(ids), practice_id)
        for object_type, ids in wanted.items()
    }
    for event in events:
        event.by_client_label = client_actor_label(event)
        if not event.object_type:
            event.record_label = ""
            continue
        name = type_name(event.object_type)
        known = details.get(event.object_type, {})
        detail = known.get(_number(event.object_id))
        event.record_label = f"{name} {detail}" if detail else f"{name} #{event.object_id}"
