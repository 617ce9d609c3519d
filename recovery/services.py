"""Writes that belong to the project package: the audit trail and the Celery heartbeat."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from recovery.models import AuditAction, AuditEvent, BeatTick, Heartbeat, Practice, User

if TYPE_CHECKING:
    from clients.models import Client


def request_ip(request: HttpRequest | None) -> str | None:
    """The address of whoever sent the request: for the audit trail and sign-in lockout.

    REMOTE_ADDR, unless settings.TRUSTED_PROXIES proxies stand in front: then the address the
    outermost of them saw, which it appended to X-Forwarded-For (the entries before it are
    whatever the caller wrote, and are never read). Behind a proxy, REMOTE_ADDR would be the
    proxy's for everyone, and one person's failed sign-ins would lock a colleague out.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXIES
    if not proxies:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(hops) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-proxies]))
    except ValueError:
        return remote


def audit(
    *,
    action: AuditAction | str,
    actor: User | None = None,
    client: Client | None = None,
    obj: models.Model | None = None,
    request: HttpRequest | None = None,
    practice: Practice | None = None,
    identifier: str = "",
    by_client: bool = False,
) -> AuditEvent:
    """Record one audit event. Services call this for every read and write of client data.

    Never pass note text or contact details here: the trail names records, not contents.
    """
    if actor is not None and not actor.is_authenticated:
        actor = None
    if practice is None:
        practice = (client and client.practice) or (actor and actor.practice) or None
    if obj is None and client is not None:
        obj = client
    return AuditEvent.objects.create(
        practice=practice,
        actor=actor,
        actor_identifier=identifier[:254],
        by_client=by_client,
        action=action,
        client=client,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=request_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:300],
    )


def audit_listed(
    *,
    actor: User,
    model: type[models.Model],
    rows: Iterable[tuple[int, int]],
    request: HttpRequest | None = None,
) -> int:
    """A "viewed" event for each (client id, object id) of `model` that one page listed with
    clinical figures, in a single INSERT however long the list. Returns how many."""
    ip_address = request_ip(request)
    user_agent = (request.META.get("HTTP_USER_AGENT", "") if request else "")[:300]
    events = [
        AuditEvent(
            practice_id=actor.practice_id,
            actor=actor,
            action=AuditAction.VIEW,
            client_id=client_id,
            object_type=model._meta.label_lower,
            object_id=str(object_id),
            ip_address=ip_address,
            user_agent=user_agent,
        )
        for client_id, object_id in rows
    ]
    return len(AuditEvent.objects.bulk_create(events))


def heartbeat_record(*, worker: str) -> Heartbeat:
    now = timezone.now()
    worker = worker or "unknown"
    updated = Heartbeat.objects.filter(worker=worker).update(
        last_seen_at=now, beats=models.F("beats") + 1
    )
    if not updated:
        Heartbeat.objects.get_or_create(worker=worker, defaults={"last_seen_at": now, "beats": 1})
    return Heartbeat.objects.get(worker=worker)


def beat_tick_record(*, host: str) -> None:
    BeatTick.objects.update_or_create(
        host=host or "unknown", defaults={"last_tick_at": timezone.now()}
    )
