"""Signed, expiring tokens for the links in emails.

A token names one reminder (or, for the client's own page, one client by number) and
nothing else: never an email address or a name, so a
forwarded or leaked link tells no one who the client is. Each purpose signs with its own
salt, so an answer link cannot be replayed as an unsubscribe link or the other way round.
The token looks like `42.1tXyZ9.<signature>`: URL-safe, with no word in it that could name
what the email is about.
"""

import datetime

from django.conf import settings
from django.core import signing


class Purpose:
    ANSWER = "reminder-answer"
    UNSUBSCRIBE = "reminder-unsubscribe"
    JOIN = "reminder-join"
    # The questionnaire link in a measure-kind reminder (clients.services.measure_requests).
    MEASURE = "reminder-measure"
    # The client's own page (clients.views.client_page): names the client, not a reminder.
    PAGE = "client-page"


PURPOSES = frozenset(
    {Purpose.ANSWER, Purpose.UNSUBSCRIBE, Purpose.JOIN, Purpose.MEASURE, Purpose.PAGE}
)

# "." is outside URL-safe base64, so it can separate the parts; ":" (Django's default) is
# legal in a path too, but some mail clients stop a link at it.
SEPARATOR = "."


class BadLink(Exception):
    """The token was tampered with, has expired, or was made for another purpose."""


def _signer(purpose: str) -> signing.TimestampSigner:
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown token purpose {purpose!r}.")
    return signing.TimestampSigner(salt=f"clients.tokens.{purpose}", sep=SEPARATOR)


def max_age(purpose: str | None = None) -> datetime.timedelta:
    if purpose == Purpose.MEASURE:
        # The request's own expires_at is the real limit; the signature never outlives it,
        # since the link is signed when the email is sent, after the request was made.
        return datetime.timedelta(days=settings.MEASURE_LINK_MAX_AGE_DAYS)
    if purpose == Purpose.PAGE:
        return datetime.timedelta(days=settings.CLIENT_PAGE_LINK_MAX_AGE_DAYS)
    return datetime.timedelta(days=settings.REMINDER_LINK_MAX_AGE_DAYS)


def make_token(purpose: str, reminder_id: int) -> str:
    return _signer(purpose).sign(str(int(reminder_id)))


def read_token(purpose: str, token: str) -> int:
    """The id the token was made for; BadLink if it cannot be trusted."""
    try:
        value = _signer(purpose).unsign(token, max_age=max_age(purpose))
    except signing.BadSignature as error:  # SignatureExpired is a BadSignature too
        raise BadLink(str(error)) from None
    if not value.isdigit():
        raise BadLink("The token does not name a reminder.")
    return int(value)


def read_token_issued(purpose: str, token: str) -> tuple[int, datetime.datetime]:
    """The id and when the token was signed (to the second), for links that can be revoked:
    one signed at or before the revocation is refused (clients.services.page_links)."""
    value = read_token(purpose, token)
    stamp = signing.b62_decode(token.split(SEPARATOR)[1])  # trusted: the signature held
    return value, datetime.datetime.fromtimestamp(stamp, tz=datetime.UTC)
