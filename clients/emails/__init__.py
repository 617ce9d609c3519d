"""Reminder and questionnaire emails: one function per kind, each with subject, plain-text
and HTML templates.

Discreet mode (on by default) is a promise to the client that someone glancing at their
inbox, their calendar or a shared screen learns nothing: the sender name, subject, body,
link paths and the calendar file name no program, no meeting and no diagnosis. Every piece
of text that comes from elsewhere (the practice's sender name, a venue, an address, a join
link) is checked against `DENYLIST` and left out, or replaced by something neutral, when it
would give the game away.
"""

import re
import secrets
import zoneinfo
from email.policy import Compat32
from email.utils import formataddr

from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEText
from django.template.loader import render_to_string
from django.utils import dateformat

from clients.emails.calendar import reminder_ics
from clients.emails.discretion import (
    DENYLIST_SUBSTRINGS,
    DENYLIST_WORDS,
    NEUTRAL_SENDER,
    NEUTRAL_SUMMARY,
    is_discreet,
    sender_name,
)
from clients.emails.parts import (
    _client_links,
    _from_address,
    _where,
    before_variant,
    meeting_where,
    reminder_message_id,
    site_link,
    when_text,
)
from clients.models import Reminder, ReminderKind
from clients.tokens import Purpose, make_token

__all__ = [
    "DENYLIST_SUBSTRINGS",
    "DENYLIST_WORDS",
    "NEUTRAL_SENDER",
    "NEUTRAL_SUMMARY",
    "before_variant",
    "is_discreet",
    "measure_request_email",
    "meeting_where",
    "reminder_before_email",
    "reminder_checkin_email",
    "reminder_email",
    "reminder_ics",
    "reminder_message_id",
    "sender_name",
    "site_link",
    "when_text",
]


def _context(reminder: Reminder, where: dict | None = None) -> dict:
    plan = reminder.plan
    client = plan.client
    discreet = client.discreet_mode
    local = reminder.occurrence_start.astimezone(zoneinfo.ZoneInfo(client.time_zone))
    return {
        "name": client.preferred_name,
        "discreet": discreet,
        # Discreet mode names no meeting; the templates say "the time you set aside".
        "title": "" if discreet else plan.meeting.name,
        "when": when_text(reminder.occurrence_start, client.time_zone),
        "weekday": dateformat.format(local, "l"),
        "sender": sender_name(reminder),
        **_client_links(reminder),
        **(_where(reminder, discreet) if where is None else where),
    }


def _render(stem: str, context: dict) -> tuple[str, str, str]:
    subject = render_to_string(f"emails/{stem}_subject.txt", context)
    # A header is one line: templates may wrap, the subject may not.
    subject = " ".join(subject.split())
    # Optional blocks (a phone number, an address) leave blank lines behind: keep one.
    text = re.sub(r"\n{3,}", "\n\n", render_to_string(f"emails/{stem}.txt", context)).strip() + "\n"
    html = render_to_string(f"emails/{stem}.html", context)
    return subject, text, html


class _OneLineHeaders(Compat32):
    """compat32, the policy of Django's messages, writing a header that is plain ASCII and fits
    on one line as it is, where compat32 builds an email.header.Header per header to find that
    out (40% of turning a reminder into bytes); any other header is folded by compat32 itself.
    The bytes are the same (tests.clients.test_reminder_dispatch compares them)."""

    def fold_binary(self, name: str, value) -> bytes:
        if (
            isinstance(value, str)
            and value.isascii()
            and "\r" not in value
            and "\n" not in value
            and self.max_line_length is not None
            and len(name) + 2 + len(value) <= self.max_line_length
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


ONE_LINE_HEADERS = _OneLineHeaders()


class ReminderEmailMessage(EmailMultiAlternatives):
    """An email to a client, turned into bytes more cheaply: each MIME boundary is chosen
    here (128 random bits), where the standard library's generator would compile a regular
    expression per boundary to check it against the text (20% of the time), and headers are
    written with ONE_LINE_HEADERS."""

    def message(self):
        message = super().message()
        for part in message.walk():
            if part.is_multipart():
                part.set_boundary(f"==============={secrets.token_hex(16)}==")
        message.policy = ONE_LINE_HEADERS
        return message


def _message(
    reminder: Reminder, context: dict, stem: str, *, connection=None
) -> EmailMultiAlternatives:
    subject, text, html = _render(stem, context)
    message = ReminderEmailMessage(
        subject=subject,
        body=text,
        from_email=formataddr((context["sender"], _from_address())),
        to=[reminder.client.contact_email],
        connection=connection,
        headers={
            "Message-ID": reminder_message_id(reminder),
            # RFC 8058 one-click unsubscribe: providers POST "List-Unsubscribe=One-Click" to
            # this https URL (http in development) with no cookie.
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # Out-of-office replies to a reminder help no one (RFC 3834).
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "OOF, AutoReply",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _ics_part(reminder: Reminder, where: dict | None = None) -> SafeMIMEText:
    # Built by hand: EmailMessage.attach() cannot add the `method` parameter that calendar
    # apps read to offer "add to calendar".
    part = SafeMIMEText(reminder_ics(reminder, where=where).decode(), "calendar", "utf-8")
    part.set_param("method", "PUBLISH")
    part.add_header("Content-Disposition", "attachment", filename="event.ics")
    return part


def reminder_before_email(reminder: Reminder, *, connection=None) -> EmailMultiAlternatives:
    """Ahead of the meeting: when, and where or how to join; one of three wordings."""
    # Where to go, worked out once for the email and its calendar file.
    where = _where(reminder, reminder.client.discreet_mode)
    context = _context(reminder, where)
    context["variant"] = before_variant(reminder)
    message = _message(
        reminder, context, f"reminder_before_{context['variant']}", connection=connection
    )
    message.attach(_ics_part(reminder, where))
    return message


def reminder_checkin_email(reminder: Reminder, *, connection=None) -> EmailMultiAlternatives:
    """After the meeting: "how did it go?", answered with one click.

    No calendar file: the event is over, and re-sending it would put it back in a calendar.
    """
    context = _context(reminder)
    answer = make_token(Purpose.ANSWER, reminder.pk)
    context["went_url"] = site_link("answer", answer, answer="attended")
    context["missed_url"] = site_link("answer", answer, answer="missed")
    return _message(reminder, context, "reminder_checkin", connection=connection)


def measure_request_email(reminder: Reminder, *, connection=None) -> EmailMultiAlternatives:
    """A questionnaire to complete, with its link.

    Always discreet, whatever the client's setting: the instrument's name or its questions
    could tell a reader more than a meeting's name would (a PHQ-9 says "depression"). The
    subject and body say "a few questions"; the answers, scores and any flag never appear.
    """
    client = reminder.client
    measure_request = reminder.measure_request
    context = {
        "name": client.preferred_name,
        "sender": sender_name(reminder),
        "questions_url": site_link("measure", make_token(Purpose.MEASURE, reminder.pk)),
        "until": dateformat.format(
            measure_request.expires_at.astimezone(zoneinfo.ZoneInfo(client.time_zone)),
            r"l, F j",
        ),
        **_client_links(reminder),
    }
    return _message(reminder, context, "measure_request", connection=connection)


def reminder_email(reminder: Reminder, *, connection=None) -> EmailMultiAlternatives:
    if reminder.kind == ReminderKind.MEASURE:
        return measure_request_email(reminder, connection=connection)
    if reminder.kind == ReminderKind.BEFORE:
        return reminder_before_email(reminder, connection=connection)
    if reminder.kind == ReminderKind.CHECKIN:
        return reminder_checkin_email(reminder, connection=connection)
    raise ValueError(f"No email for reminder kind {reminder.kind!r}.")
