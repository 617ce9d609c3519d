"""Reminder emails: discreet, plain, with a calendar file and one-click links."""

import datetime
import re
import zoneinfo
from urllib.parse import urlsplit

import icalendar
import pytest
import textstat
import time_machine
from django.urls import resolve

from clients.emails import (
    before_variant,
    reminder_before_email,
    reminder_checkin_email,
    reminder_email,
    reminder_ics,
    reminder_message_id,
)
from clients.models import Reminder, ReminderKind, ReminderStatus
from clients.services.reminders import reminders_dispatch
from groups.models import Program

# Tuesday March 10 2026, 4 PM in New York (daylight time since March 8).
NOW = datetime.datetime(2026, 3, 10, 20, 0, tzinfo=datetime.UTC)
# That evening's 7 PM meeting in New York, in UTC.
OCCURRENCE = datetime.datetime(2026, 3, 10, 23, 0, tzinfo=datetime.UTC)
WEEK = datetime.timedelta(days=7)
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")

MEETING_NAME = "Tuesday Night Hope Group"
# The list. Substrings, case-insensitive; the short names as whole words only.
DENIED_SUBSTRINGS = ("recovery", "addiction", "alcohol", "drug", "sober", "12-step")
DENIED_WORDS = re.compile(r"\b(AA|NA|SMART)\b", re.IGNORECASE)
# Our link paths with their token: a token is signed noise, so it is masked before looking
# for words in it (a random "-na-" inside a signature would say nothing to anyone).
TOKEN_IN_PATH = re.compile(r"/r/([auj])/[A-Za-z0-9_.\-]+/")
URL = re.compile(r"""https?://[^\s"'<>]+""")

MEETINGS = {
    "online": {
        "attendance_option": "online",
        "conference_url": "https://zoom.us/j/5550100",
        "conference_url_notes": "Passcode 4321",
        "conference_phone": "+1 555 010 0100",
    },
    "in_person": {
        "attendance_option": "in_person",
        "location_name": "Sober House Hall",
        "address": "12 Main St",
        "city": "Portland",
        "region": "ME",
        "postal_code": "04101",
        "location_notes": "Side door, room 2. Coffee from 6:45.",
    },
    "hybrid": {
        "attendance_option": "hybrid",
        # A join link that tells on its own.
        "conference_url": "https://smartrecovery.zoom.us/j/77",
        "location_name": "Serenity Club",
        "address": "40 Elm St, Portland, ME 04101",
        "location_notes": "Ring the bell marked AA.",
    },
}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://care.example.org"
    settings.DEFAULT_FROM_EMAIL = "reminders@care.example.org"


def make_reminder(plan, *, kind=ReminderKind.BEFORE, start=OCCURRENCE) -> Reminder:
    reminder = Reminder.objects.create(plan=plan, occurrence_start=start, kind=kind, due_at=NOW)
    # As the dispatcher loads it.
    return Reminder.objects.select_related("plan__client__practice", "plan__meeting__program").get(
        pk=reminder.pk
    )


def every_email(plan):
    """The three `before` wordings (three weeks running) and the check-in, for one plan."""
    messages = []
    for week in range(3):
        reminder = make_reminder(plan, start=OCCURRENCE + week * WEEK)
        messages.append((f"before_{before_variant(reminder)}", reminder_email(reminder)))
    reminder = make_reminder(plan, kind=ReminderKind.CHECKIN)
    messages.append(("checkin", reminder_email(reminder)))
    assert sorted(label for label, _message in messages) == [
        "before_1",
        "before_2",
        "before_3",
        "checkin",
    ]
    return messages


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def ics_of(message) -> str:
    parts = [part for part in message.attachments if part.get_content_type() == "text/calendar"]
    return parts[0].get_payload(decode=True).decode() if parts else ""


def mask_tokens(text: str) -> str:
    return TOKEN_IN_PATH.sub(r"/r/\1/<token>/", text)


def visible_parts(message) -> dict[str, str]:
    """Everything a person (or a calendar) could see of one email, tokens masked."""
    html = html_of(message)
    urls = (
        URL.findall(message.body) + URL.findall(html) + [message.extra_headers["List-Unsubscribe"]]
    )
    return {
        "sender": message.from_email,
        "subject": message.subject,
        "text": mask_tokens(message.body),
        "html": mask_tokens(html),
        "link paths": mask_tokens(
            " ".join(urlsplit(url.strip("<>")).path for url in urls if "/r/" in url)
        ),
        "ics": mask_tokens(ics_of(message)),
    }


def leaks(text: str, *names: str) -> list[str]:
    lowered = text.lower()
    found = [word for word in (*DENIED_SUBSTRINGS, *names) if word.lower() in lowered]
    return found + DENIED_WORDS.findall(text)


@pytest.fixture
def plan_for(make_plan, consenting_client):
    def make(kind: str, *, discreet: bool, program: str = "AA", **extra):
        consenting_client.discreet_mode = discreet
        consenting_client.save(update_fields=["discreet_mode"])
        fields = {"name": MEETING_NAME, **MEETINGS[kind], **extra}
        return make_plan(program=Program.objects.get(key=program), **fields)

    return make


# --- Discreet mode ----------------------------------------------------------------------------


@pytest.mark.parametrize("program", ["AA", "NA", "SMART"])
@pytest.mark.parametrize("kind", MEETINGS)
def test_a_discreet_email_names_no_program_or_meeting_anywhere(plan_for, practice, kind, program):
    practice.email_sender_name = "Harbor Recovery Services"
    practice.save()
    plan = plan_for(kind, discreet=True, program=program)
    for label, message in every_email(plan):
        for part, text in visible_parts(message).items():
            assert leaks(text, MEETING_NAME, plan.meeting.program.name) == [], (label, part, text)


def test_a_telling_sender_name_becomes_neutral_in_discreet_mode(plan_for, practice):
    practice.email_sender_name = "Harbor Recovery Services"
    practice.save()
    discreet = reminder_email(make_reminder(plan_for("online", discreet=True)))
    assert discreet.from_email == "Your care team <reminders@care.example.org>"
    assert "Harbor Recovery" not in discreet.body + html_of(discreet)


def test_a_neutral_sender_name_is_kept_in_discreet_mode(plan_for, practice):
    practice.email_sender_name = "Dr. Lee's office"
    practice.save()
    message = reminder_email(make_reminder(plan_for("online", discreet=True)))
    assert message.from_email.startswith('"Dr. Lee\'s office"')
    assert "Dr. Lee's office" in message.body


def test_with_discreet_mode_off_the_meeting_and_sender_are_named(plan_for, practice):
    practice.email_sender_name = "Harbor Recovery Services"
    practice.save()
    plan = plan_for("in_person", discreet=False)
    for label, message in every_email(plan):
        assert MEETING_NAME in message.subject, label
        assert MEETING_NAME in message.body, label
        assert MEETING_NAME in html_of(message), label
        assert "Harbor Recovery Services" in message.from_email
    before = reminder_before_email(make_reminder(plan, start=OCCURRENCE + 4 * WEEK))
    assert "Sober House Hall, 12 Main St, Portland, ME, 04101" in before.body
    assert f"SUMMARY:{MEETING_NAME}" in ics_of(before)


def test_discreet_mode_gives_the_address_but_not_a_telling_venue_or_note(plan_for):
    message = reminder_email(make_reminder(plan_for("hybrid", discreet=True)))
    assert "40 Elm St, Portland, ME 04101" in message.body
    assert "Serenity Club" not in message.body
    assert "Ring the bell" not in message.body


def test_a_telling_join_link_goes_through_a_neutral_link_in_discreet_mode(plan_for):
    message = reminder_email(make_reminder(plan_for("hybrid", discreet=True)))
    [join] = [url for url in URL.findall(message.body) if "/r/j/" in url]
    assert resolve(urlsplit(join).path).url_name == "join"
    assert "smartrecovery" not in message.body + html_of(message) + ics_of(message)


def test_with_discreet_mode_off_the_join_link_is_given_as_it_is(plan_for):
    message = reminder_email(make_reminder(plan_for("hybrid", discreet=False)))
    assert "https://smartrecovery.zoom.us/j/77" in message.body
    assert "/r/j/" not in message.body


def test_a_plain_join_link_is_given_as_it_is(plan_for):
    message = reminder_email(make_reminder(plan_for("online", discreet=True)))
    assert "https://zoom.us/j/5550100" in message.body
    assert "Passcode 4321" in message.body
    assert "+1 555 010 0100" in message.body


# --- Wording ----------------------------------------------------------------------------------


def test_weekly_reminders_rotate_through_the_three_wordings(plan_for):
    plan = plan_for("online", discreet=True)
    variants = [before_variant(make_reminder(plan, start=OCCURRENCE + n * WEEK)) for n in range(6)]
    assert sorted(variants[:3]) == [1, 2, 3]
    assert all(this != last for last, this in zip(variants, variants[1:], strict=False))


def test_the_wording_still_changes_across_new_year(plan_for):
    # ISO weeks 53 and 1, or 52 and 1, would give the same wording twice running.
    plan = plan_for("online", discreet=True)
    last_of_year = datetime.datetime(2026, 12, 30, 0, 0, tzinfo=datetime.UTC)  # Dec 29, 7 PM
    first_of_year = last_of_year + WEEK
    assert before_variant(make_reminder(plan, start=last_of_year)) != before_variant(
        make_reminder(plan, start=first_of_year)
    )


def test_three_wordings_read_differently(plan_for):
    plan = plan_for("online", discreet=True)
    bodies = {label: message.body for label, message in every_email(plan)}
    subjects = {
        message.subject for _label, message in every_email(plan_for("online", discreet=True))
    }
    assert len({bodies["before_1"], bodies["before_2"], bodies["before_3"]}) == 3
    assert len(subjects) == 4


def human_written(body: str) -> str:
    """What we measure for reading level: the text we wrote, as the client reads it.

    Everything above the signature delimiter ("-- "), without the lines that hold a web
    address (a URL is not a word anyone reads). The footer below the delimiter is the same
    two lines in every email and is measured on its own.
    """
    above, _delimiter, _footer = body.partition("\n-- \n")
    return "\n".join(line for line in above.splitlines() if "://" not in line)


@pytest.mark.parametrize("discreet", [True, False], ids=["discreet", "named"])
def test_every_wording_reads_at_grade_6_or_below(plan_for, discreet):
    plan = plan_for("online", discreet=discreet)
    for label, message in every_email(plan):
        text = human_written(message.body)
        assert len(text.split()) > 15, text  # the measure means little on a scrap
        grade = textstat.flesch_kincaid_grade(text)
        assert grade <= 6, (label, grade, text)


def test_the_footer_reads_at_grade_6_or_below(plan_for):
    message = reminder_email(make_reminder(plan_for("online", discreet=True)))
    footer = message.body.partition("\n-- \n")[2]
    assert "stop" in footer.lower()
    assert textstat.flesch_kincaid_grade(human_written(footer)) <= 6


def test_times_are_given_in_the_clients_time_zone(plan_for, consenting_client):
    consenting_client.time_zone = "America/New_York"
    consenting_client.save()
    # A 7 PM meeting in Los Angeles is at 10 PM for a client in New York.
    plan = plan_for("online", discreet=True, time_zone="America/Los_Angeles")
    start = datetime.datetime(2026, 3, 11, 2, 0, tzinfo=datetime.UTC)
    message = reminder_email(make_reminder(plan, start=start))
    assert "Tuesday at 10:00 PM" in message.body
    assert "Tuesday at 10:00 PM" in html_of(message)


def test_text_is_not_html_escaped_and_html_is(plan_for):
    plan = plan_for("online", discreet=False, name="Tom & Jerry's <Group>")
    message = reminder_email(make_reminder(plan))
    assert "Tom & Jerry's <Group>" in message.body
    assert "Tom &amp; Jerry&#x27;s &lt;Group&gt;" in html_of(message)


# --- Calendar file ----------------------------------------------------------------------------


def test_the_calendar_file_has_the_occurrence_in_the_meetings_time_zone(plan_for):
    plan = plan_for("online", discreet=True, time_zone="America/Los_Angeles")
    start = datetime.datetime(2026, 3, 11, 2, 0, tzinfo=datetime.UTC)  # 7 PM in Los Angeles
    calendar = icalendar.Calendar.from_ical(
        ics_of(reminder_email(make_reminder(plan, start=start)))
    )
    [event] = calendar.events
    assert event.start == datetime.datetime(
        2026, 3, 10, 19, 0, tzinfo=zoneinfo.ZoneInfo("America/Los_Angeles")
    )
    assert str(event.start.tzinfo) == "America/Los_Angeles"
    assert event["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert event.end - event.start == datetime.timedelta(hours=1)
    assert [tz.tz_name for tz in calendar.timezones] == ["America/Los_Angeles"]
    assert calendar["METHOD"] == "PUBLISH"
    assert str(event["SUMMARY"]) == "A time you set aside"
    assert str(event["URL"]) == "https://zoom.us/j/5550100"
    assert str(event["LOCATION"]) == "https://zoom.us/j/5550100"


def test_the_calendar_file_keeps_wall_clock_time_across_daylight_saving(plan_for):
    plan = plan_for("in_person", discreet=True)
    # The Tuesday before the clocks changed (March 3, EST) and the one after (EDT).
    for start in (OCCURRENCE - WEEK + datetime.timedelta(hours=1), OCCURRENCE):
        [event] = icalendar.Calendar.from_ical(
            ics_of(reminder_email(make_reminder(plan, start=start)))
        ).events
        assert (event.start.hour, event.start.minute) == (19, 0)
        assert str(event["LOCATION"]) == "12 Main St, Portland, ME, 04101"
        assert "URL" not in event


def test_the_calendar_uid_is_stable_per_plan_and_occurrence(plan_for):
    plan = plan_for("online", discreet=True)
    reminder = make_reminder(plan)
    assert reminder_ics(reminder) == reminder_ics(reminder)
    first = icalendar.Calendar.from_ical(reminder_ics(reminder)).events[0]
    next_week = icalendar.Calendar.from_ical(
        reminder_ics(make_reminder(plan, start=OCCURRENCE + WEEK))
    ).events[0]
    assert str(first["UID"]) == f"plan-{plan.pk}-20260310T230000Z@care.example.org"
    assert first["UID"] != next_week["UID"]


def test_the_calendar_part_is_an_attachment_calendar_apps_recognise(plan_for):
    message = reminder_before_email(make_reminder(plan_for("online", discreet=True)))
    [part] = message.attachments
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "PUBLISH"
    assert part.get_filename() == "event.ics"
    assert "text/calendar" in message.message().as_string()


def test_the_check_in_has_no_calendar_file(plan_for):
    message = reminder_checkin_email(
        make_reminder(plan_for("online", discreet=True), kind=ReminderKind.CHECKIN)
    )
    assert message.attachments == []


# --- Links and headers ------------------------------------------------------------------------


def test_the_check_in_offers_both_answers_and_the_before_email_neither(plan_for):
    plan = plan_for("online", discreet=True)
    checkin = reminder_email(make_reminder(plan, kind=ReminderKind.CHECKIN))
    answers = [url for url in URL.findall(checkin.body) if "/r/a/" in url]
    assert [urlsplit(url).query for url in answers] == ["answer=attended", "answer=missed"]
    assert all(resolve(urlsplit(url).path).url_name == "answer" for url in answers)
    assert "I went" in html_of(checkin) and "I couldn't make it" in html_of(checkin)
    before = reminder_email(make_reminder(plan))
    assert "/r/a/" not in before.body + html_of(before)


def test_list_unsubscribe_headers_follow_rfc_8058(plan_for):
    for _label, message in every_email(plan_for("online", discreet=True)):
        header = message.extra_headers["List-Unsubscribe"]
        assert re.fullmatch(r"<https://care\.example\.org/r/u/[A-Za-z0-9_.\-]+/>", header)
        assert resolve(urlsplit(header.strip("<>")).path).url_name == "unsubscribe"
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.extra_headers["Auto-Submitted"] == "auto-generated"
        # The same link is in the footer, for people.
        assert header.strip("<>") in message.body


def test_the_message_id_is_stable_across_renders_and_unique_per_reminder(plan_for):
    plan = plan_for("online", discreet=True)
    reminder = make_reminder(plan)
    first = reminder_email(reminder).message()["Message-ID"]
    again = reminder_email(reminder).message()["Message-ID"]
    other = reminder_email(make_reminder(plan, kind=ReminderKind.CHECKIN)).message()["Message-ID"]
    assert first == again == reminder_message_id(reminder)
    assert first == f"<reminder-{reminder.pk}@care.example.org>"
    assert other != first


def test_a_display_name_in_the_from_setting_gives_way_to_the_practices(plan_for, settings):
    settings.DEFAULT_FROM_EMAIL = "Reminders <reminders@care.example.org>"
    reminder = make_reminder(plan_for("online", discreet=True))
    assert reminder_email(reminder).from_email == "Your care team <reminders@care.example.org>"
    assert reminder_message_id(reminder) == f"<reminder-{reminder.pk}@care.example.org>"


def test_the_message_id_falls_back_to_the_site_host(plan_for, settings):
    settings.DEFAULT_FROM_EMAIL = "reminders"
    reminder = make_reminder(plan_for("online", discreet=True))
    assert reminder_message_id(reminder) == f"<reminder-{reminder.pk}@care.example.org>"


def test_an_email_goes_to_the_clients_address_only(plan_for, consenting_client):
    message = reminder_email(make_reminder(plan_for("online", discreet=True)))
    assert message.to == [consenting_client.contact_email]
    assert message.cc == [] and message.bcc == []


def test_an_unknown_kind_is_a_programming_error(plan_for):
    reminder = make_reminder(plan_for("online", discreet=True))
    reminder.kind = "later"
    with pytest.raises(ValueError):
        reminder_email(reminder)


def test_the_dispatcher_sends_what_these_functions_build(plan_for, mailoutbox):
    plan = plan_for("online", discreet=True)
    reminder = make_reminder(plan)
    outcome = reminders_dispatch(time_budget=5)
    assert outcome.sent == 1
    [sent] = mailoutbox
    assert sent.extra_headers["Message-ID"] == reminder_message_id(reminder)
    assert Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.SENT
