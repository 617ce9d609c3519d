"""The pieces every email to a client is made of: where and when the meeting is (with anything
that would tell left out when discreet), its signed links, and its stable Message-ID."""

import datetime
import functools
import zoneinfo
from collections.abc import Callable
from email.utils import parseaddr
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import dateformat

from clients.emails.discretion import is_discreet
from clients.models import Reminder
from clients.tokens import Purpose, make_token
from groups.models import AttendanceOption, Meeting

BEFORE_VARIANTS = (1, 2, 3)


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
