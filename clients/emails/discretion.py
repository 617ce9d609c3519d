"""Discreet mode's rule: which words may never reach a discreet email, and the neutral
names used instead."""

import re

from clients.models import Reminder
from groups.models import Meeting

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
