"""Links to a client's own page, and the short visits they open.

Every email to a client carries a signed link to their page (clients.emails). Opening it
starts a visit: a random key in the client's own cookie, of which only a SHA-256 is stored.
A visit ends when idle too long, at its maximum age, when the client leaves, or when their
links are revoked: by the therapist, by withdrawn consent to emails, or by discharge. A
link signed at or before the revocation is refused from then on.
"""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from clients.models import Client, ClientPageSession
from clients.services.common import ensure_access
from clients.tokens import BadLink, Purpose, make_token, read_token_issued
from recovery.models import AuditAction, User
from recovery.services import audit

# Seen again within this long, a visit's last_seen_at is left alone: one write per half
# minute at most, not one per request.
SEEN_RESOLUTION = datetime.timedelta(seconds=30)


def page_link_token(client: Client) -> str:
    return make_token(Purpose.PAGE, client.pk)


def page_link_client(token: str) -> Client | None:
    """The client a page link was made for, if it still opens their page."""
    try:
        client_id, issued = read_token_issued(Purpose.PAGE, token)
    except BadLink:
        return None
    client = Client.objects.select_related("practice").filter(pk=client_id).first()
    if client is None or not client.is_active or client.is_restricted:
        return None
    if client.page_links_revoked_at is not None and issued <= client.page_links_revoked_at:
        return None
    return client


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def page_visit_start(client: Client) -> str:
    """A new visit for the client; returns the key for their cookie (stored only hashed)."""
    key = secrets.token_urlsafe(32)
    ClientPageSession.objects.create(client=client, key_hash=_key_hash(key))
    return key


def page_visit(key: str, *, now: datetime.datetime | None = None) -> ClientPageSession | None:
    """The open visit the cookie's key belongs to, or None (and the visit is ended) when it
    has been idle too long, is too old, was revoked, or its client left care."""
    if not key:
        return None
    now = now or timezone.now()
    visit = (
        ClientPageSession.objects.select_related("client__practice")
        .filter(key_hash=_key_hash(key), ended_at__isnull=True)
        .first()
    )
    if visit is None:
        return None
    client = visit.client
    idle = datetime.timedelta(minutes=settings.CLIENT_PAGE_IDLE_MINUTES)
    longest = datetime.timedelta(minutes=settings.CLIENT_PAGE_SESSION_MAX_MINUTES)
    revoked = client.page_links_revoked_at is not None and (
        visit.started_at <= client.page_links_revoked_at
    )
    if (
        now - visit.last_seen_at > idle
        or now - visit.started_at > longest
        or revoked
        or not client.is_active
        or client.is_restricted
    ):
        page_visit_end(visit, now=now)
        return None
    if now - visit.last_seen_at > SEEN_RESOLUTION:
        ClientPageSession.objects.filter(pk=visit.pk).update(last_seen_at=now)
        visit.last_seen_at = now
    return visit


def page_visit_end(visit: ClientPageSession, *, now: datetime.datetime | None = None) -> None:
    ClientPageSession.objects.filter(pk=visit.pk, ended_at__isnull=True).update(
        ended_at=now or timezone.now()
    )


def page_links_revoke(client: Client, *, now: datetime.datetime | None = None) -> int:
    """Refuse every link signed so far and end every open visit; returns how many ended.

    No audit event of its own: the caller records the change it belongs to (consent
    withdrawn, discharge) or, for the therapist's button, client_page_links_revoke does.
    """
    now = now or timezone.now()
    Client.objects.filter(pk=client.pk).update(page_links_revoked_at=now)
    client.page_links_revoked_at = now
    return ClientPageSession.objects.filter(client=client, ended_at__isnull=True).update(
        ended_at=now
    )


def client_page_links_revoke(
    *, actor: User, client: Client, request: HttpRequest | None = None
) -> int:
    """Staff who can see the client stop every link to the client's page at once (a shared
    phone, a forwarded email). The next email carries a new link that works."""
    ensure_access(actor, client)
    ended = page_links_revoke(client)
    audit(action=AuditAction.UPDATE, actor=actor, client=client, request=request)
    return ended
