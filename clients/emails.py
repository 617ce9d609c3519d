"""Reminder and questionnaire emails: one function per kind, each with subject, plain-text
and HTML templates.

Discreet mode (on by default) is a promise to the client that someone glancing at their
inbox, their calendar or a shared screen learns nothing: the sender name, subject, body,
link paths and the calendar file name no program, no meeting and no diagnosis. Every piece
of text that comes from elsewhere (the practice's sender name, a venue, an address, a join
link) is checked against `DENYLIST` and left out, or replaced by something neutral, when it
would give the game away.
"""

import datetime
import functools
import re
import secrets
import zoneinfo
from collections.abc import Callable
from email.policy import Compat32
from email.utils import formataddr, parseaddr
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEText
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat
from icalendar import Timezone
from icalendar.parser import Contentline
from icalendar.prop import vDDDTypes

from clients.models import Reminder, ReminderKind
from clients.tokens import Purpose, make_token
from groups.models import AttendanceOption, Meeting

# Words that must never reach a discreet email. Matched case-insensitively as substrings
# ("addict" also catches "addiction", "alcohol" also "alcoholics").
DENYLIST_SUBSTRINGS = (
    "recovery",
    "addict",
    "alcohol",
    "drug",
    "sober",
    "sobriety",
    "12-step",
    "12 step",
    "twelve step",
    "twelve-step",
    "narcotic",
    "anonymous",
    "rehab",
    "detox",
    "relapse",
    "substance",
)
# Short program names, matched as whole words only: "na" inside "Dana" or "banana" is fine.
# Not "CA" (Cocaine Anonymous): it is also California in every Los Angeles address.
DENYLIST_WORDS = ("AA", "NA", "SMART")
_WORDS_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(word) for word in DENYLIST_WORDS) + r")\b", re.IGNORECASE
)

NEUTRAL_SENDER = "Your care team"
# What a discreet email calls the meeting, and the title of its calendar event.
NEUTRAL_SUMMARY = "A time you set aside"
BEFORE_VARIANTS = (1, 2, 3)


def is_discreet(text: str, *, meeting: Meeting | None = None) -> bool:
    """True when `text` names no program, no meeting and no diagnosis."""
    lowered = text.lower()
    if any(word in lowered for word in DENYLIST_SUBSTRINGS) or _WORDS_PATTERN.search(text):
        return False
    if meeting is not None:
        names = [meeting.name]
        # "Other" is a catalogue placeholder, not a name: it would flag "another" or "mother".
        if meeting.program.key != "OTHER":
            names.append(meeting.program.name)
        if any(name.strip() and name.strip().lower() in lowered for name in names):
            return False
    return True


def sender_name(reminder: Reminder) -> str:
    """The practice's sender name, unless discreet mode is on and the name would tell."""
    client = reminder.client
    name = client.practice.email_sender_name.strip() or NEUTRAL_SENDER
    meeting = reminder.plan.meeting if reminder.plan_id else None
    if client.discreet_mode and not is_discreet(name, meeting=meeting):
        return NEUTRAL_SENDER
    return name


def _from_address() -> str:
    return _address_in(settings.DEFAULT_FROM_EMAIL)


@functools.lru_cache(maxsize=8)
def _address_in(from_email: str) -> str:
    # DEFAULT_FROM_EMAIL may carry a display name of its own ("Care <x@example.org>"); the
    # name shown is the practice's, so keep only the address. Parsed once per setting, not
    # four times per email.
    return parseaddr(from_email)[1] or from_email


def _mail_domain() -> str:
    # The From address's domain is already in every message, so a Message-ID or UID built
    # on it reveals nothing new; SITE_URL's host is the fallback.
    _local, at, domain = _from_address().rpartition("@")
    return domain if at else (urlsplit(settings.SITE_URL).hostname or "localhost")


def reminder_message_id(reminder: Reminder) -> str:
    """The same for every render of one reminder, so mail systems can drop a repeat send."""
    return f"<reminder-{reminder.pk}@{_mail_domain()}>"


def site_link(name: str, token: str, **query: str) -> str:
    url = f"{settings.SITE_URL}{reverse(f'responses:{name}', args=[token])}"
    return f"{url}?{urlencode(query)}" if query else url


def when_text(moment: datetime.datetime, time_zone: str, format: str = r"l \a\t g:i A") -> str:
    """The moment as "Tuesday at 7:00 PM" (or in `format`), in the client's own time zone."""
    local = moment.astimezone(zoneinfo.ZoneInfo(time_zone))
    return dateformat.format(local, format)


def before_variant(reminder: Reminder) -> int:
    """Which of the three `before` wordings this occurrence gets.

    Weeks are counted from a fixed day rather than by ISO week number, which starts again
    at 1 each January (week 52 then week 1 would give the same wording twice in a row).
    One occurrence a week apart from the last always gets the next wording.
    """
    local_day = reminder.occurrence_start.astimezone(
        zoneinfo.ZoneInfo(reminder.plan.meeting.time_zone)
    ).date()
    return BEFORE_VARIANTS[(local_day.toordinal() // 7) % len(BEFORE_VARIANTS)]


def _address(meeting: Meeting) -> str:
    parts = [meeting.address.strip()]
    for extra in (meeting.city, meeting.region, meeting.postal_code):
        extra = extra.strip()
        if extra and extra.lower() not in parts[0].lower():
            parts.append(extra)
    return ", ".join(part for part in parts if part)


def meeting_where(
    meeting: Meeting, *, discreet: bool = False, neutral_join_url: Callable[[], str] | str = ""
) -> dict:
    """How to get there or join, with anything that would tell left out when discreet (a
    join link that would tell is replaced by `neutral_join_url`, or what it returns: a
    reminder's signed link is made only for the few meetings that need it)."""

    def keep(text: str) -> str:
        text = text.strip()
        return text if not discreet or is_discreet(text, meeting=meeting) else ""

    where = dict.fromkeys(
        ("join_url", "join_notes", "phone", "phone_notes", "address", "venue", "location_notes"),
        "",
    )
    if meeting.attendance_option in (AttendanceOption.ONLINE, AttendanceOption.HYBRID):
        url = meeting.conference_url.strip()
        if url and keep(url):
            where["join_url"] = url
        elif url:
            # The join link itself would tell ("smartrecovery.zoom.us"): send the client
            # through our own neutral redirect instead.
            where["join_url"] = (
                neutral_join_url() if callable(neutral_join_url) else neutral_join_url
            )
        # Passcodes and "camera optional" notes live here; the client needs them to get in.
        where["join_notes"] = keep(meeting.conference_url_notes) if where["join_url"] else ""
        where["phone"] = keep(meeting.conference_phone)
        where["phone_notes"] = keep(meeting.conference_phone_notes) if where["phone"] else ""
    if meeting.attendance_option in (AttendanceOption.IN_PERSON, AttendanceOption.HYBRID):
        where["address"] = keep(_address(meeting))
        # A venue's name often tells ("Serenity Club"); discreet mode gives the address only.
        where["venue"] = "" if discreet else meeting.location_name.strip()
        where["location_notes"] = keep(meeting.location_notes)
    return where


def _where(reminder: Reminder, discreet: bool) -> dict:
    return meeting_where(
        reminder.plan.meeting,
        discreet=discreet,
        neutral_join_url=lambda: site_link("join", make_token(Purpose.JOIN, reminder.pk)),
    )


def _client_links(reminder: Reminder) -> dict:
    """The links every email to a client ends with: their own page, and stop the emails."""
    return {
        "page_url": site_link("page", make_token(Purpose.PAGE, reminder.client.pk)),
        "unsubscribe_url": site_link("unsubscribe", make_token(Purpose.UNSUBSCRIBE, reminder.pk)),
    }


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


@functools.lru_cache(maxsize=256)
def _vtimezone(tzid: str, first_date: datetime.date, last_date: datetime.date) -> bytes:
    """The VTIMEZONE of a zone over some weeks, as icalendar writes it: the same for every
    reminder of the zone and weeks, which a batch mostly shares (half of a calendar file's
    content lines, and its transitions worked out from the tz database). Empty for a zone
    icalendar does not know, which add_missing_timezones() left out too."""
    try:
        return Timezone.from_tzid(tzid, first_date=first_date, last_date=last_date).to_ical()
    except ValueError:
        return b""


def _ical_fold(line: str) -> str:
    """A content line folded as icalendar folds it: before the character that would make a
    line 75 octets, never right after a backslash or caret (an escape stays whole)."""
    if len(line) < 75 and line.isascii():
        return line  # nearly every line: nothing to fold
    lines: list[str] = []
    current: list[str] = []
    octets = 0
    for char in line:
        size = len(char.encode())
        if current and octets + size >= 75:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                lines.append("".join(current))
                current, octets = [carried], len(carried.encode())
            else:
                lines.append("".join(current))
                current, octets = [], 0
        current.append(char)
        octets += size
    lines.append("".join(current))
    return "\r\n ".join(lines)


def _ical_text(text: str) -> str:
    """TEXT escaping as icalendar does it (RFC 5545 3.3.11; any line ending becomes \\n)."""
    return (
        text.replace("\\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


@functools.lru_cache(maxsize=1024)
def _ical_local_time(name: str, tzid: str, local: datetime.datetime) -> str:
    """DTSTART or DTEND as icalendar writes them (the TZID it names, or UTC's Z), for a naive
    local time in `tzid`: the same for every reminder of one meeting's occurrence."""
    value = vDDDTypes(local.replace(tzinfo=zoneinfo.ZoneInfo(tzid)))
    return str(Contentline.from_parts(name, value.params, value))  # folded with the rest


def reminder_ics(
    reminder: Reminder, *, discreet: bool | None = None, where: dict | None = None
) -> bytes:
    """The occurrence as an iCalendar event in the meeting's own time zone (with VTIMEZONE).

    The UID is stable per plan and occurrence, so a calendar that imports the file twice
    keeps one event.

    Written line by line, where icalendar's Calendar and Event took 0.3 ms per email (a
    third of building it); the bytes are icalendar's (tests.clients.test_reminder_dispatch
    compares them over every time zone and any text). The lines are in its order: its canonical
    properties first, then the rest by name.
    """
    plan = reminder.plan
    meeting = plan.meeting
    discreet = plan.client.discreet_mode if discreet is None else discreet
    tz = zoneinfo.ZoneInfo(meeting.time_zone)
    start = reminder.occurrence_start.astimezone(tz)
    end = reminder.occurrence_end.astimezone(tz)
    where = _where(reminder, discreet) if where is None else where
    domain = _mail_domain()
    uid = f"plan-{plan.pk}-{reminder.occurrence_start.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}"
    location = (
        ", ".join(part for part in (where["venue"], where["address"]) if part) or where["join_url"]
    )
    event = [
        f"SUMMARY:{_ical_text(NEUTRAL_SUMMARY if discreet else meeting.name)}",
        _ical_local_time("DTSTART", meeting.time_zone, start.replace(tzinfo=None)),
        _ical_local_time("DTEND", meeting.time_zone, end.replace(tzinfo=None)),
        f"DTSTAMP:{reminder.created_at.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}",
        f"UID:{_ical_text(f'{uid}@{domain}')}",
    ]
    if location:
        event.append(f"LOCATION:{_ical_text(location)}")
    if where["join_url"]:
        event.append(f"URL:{where['join_url']}")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        # No product name here: calendar apps show PRODID in an event's details.
        "PRODID:-//Care team//Reminders//EN",
        "METHOD:PUBLISH",
        f"UID:{_ical_text(f'calendar-{uid}@{domain}')}",
    ]
    # Only the weeks around the occurrence: enough for any DST change it could straddle. It
    # goes where icalendar's add_missing_timezones() would put it, before the event.
    vtimezone = _vtimezone(
        meeting.time_zone,
        start.date() - datetime.timedelta(days=7),
        end.date() + datetime.timedelta(days=7),
    )
    head = "\r\n".join(_ical_fold(line) for line in lines).encode() + b"\r\n"
    event = ["BEGIN:VEVENT", *event, "END:VEVENT", "END:VCALENDAR"]
    return head + vtimezone + "\r\n".join(_ical_fold(line) for line in event).encode() + b"\r\n"


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
