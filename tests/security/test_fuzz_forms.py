"""Every form of the project, fuzzed with Hypothesis through its real view.

Values: NUL bytes, lone surrogates and invalid UTF-8 (as raw bytes in the body), combining
marks, emoji, the right-to-left override, zero-width characters, 1 MB strings, HTML and
<script> payloads, template syntax, odd numbers and dates, mixed with Hypothesis' own text.
Each example posts (or, for filters, gets) a valid form with some fields replaced, and then:
  - never a 500 (the test client raises the view's exception);
  - the page that comes back, and, when the post was accepted, the saved record's pages and
    its admin change list and change page, show every value escaped: no <script> tag without
    the page's CSP nonce, no on*= handler, no javascript: link;
  - a redirect only ever goes to this site.
Reminder emails are rendered for clients and meetings with hostile names and checked the same
way. Each example runs in its own transaction (hypothesis.extra.django.TestCase), over one
practice built once per class, so examples cannot see each other's rows.
"""

import datetime
import importlib
import inspect
import os
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import quote_from_bytes

import django_filters
import pytest
from django import forms
from django.test import Client as HttpClient
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from clients.emails import reminder_email
from clients.models import RecordSection, Reminder, ReminderKind
from clients.tokens import Purpose, make_token
from groups.admin import MeetingAdminForm
from groups.models import Meeting
from recovery.models import Role
from tests.conftest import signed_in
from tests.factories import (
    TEST_PASSWORD,
    ClientFactory,
    MeetingFactory,
    PracticeFactory,
    UserFactory,
)
from tests.security.conftest import build_practice_data

# --- Hostile values ---------------------------------------------------------------------------

MEGABYTE = "A" * 1_000_000
HOSTILE = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "javascript:alert(1)",
    "{{ request.user.password }}{% debug %}",
    "Robert'); DROP TABLE clients_client;--",
    "\x00",
    "abc\x00def",
    "\u202egnp.exe",  # right-to-left override
    "zero\u200bwidth\ufeff",
    "e\u0301\u0301\u0301\u0301",  # combining marks
    "👩\u200d👩\u200d👧\u200d👦🏳️\u200d🌈",
    "\ud800",  # lone surrogates: sent as the invalid UTF-8 they encode to
    "x\udfffy",
    b"\xff\xfe\xfd",  # raw invalid UTF-8
    b"\xc0\xaf",  # overlong "/"
    b"\xed\xa0\x80",
    MEGABYTE,
    "-1",
    "0",
    "99999999999999999999999",
    "1e308",
    "NaN",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "",
    " ",
    "\r\n\t",
    "//evil.example/",
    "https://evil.example/",
    "/\\evil.example",
    "²",  # a digit to str.isdigit(), not to int()
    "#١٢",  # Arabic-Indic digits
    "9" * 30,  # past every integer column
]
# Tried on every field of every form, one field at a time, on every run.
SHARP = ["²", "9" * 30, "abc\x00def", "x\udfffy"]
# And on every date field: the ends of the calendar, where date arithmetic overflows.
SHARP_DATES = ["0001-01-01", "9999-12-31", "9999-12-31 23:59:59"]
SHORT_HOSTILE = [value for value in HOSTILE if isinstance(value, str) and len(value) < 100]

hostile_value = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.builds(
        lambda a, b, c: a + b + c,
        st.sampled_from(SHORT_HOSTILE),
        st.text(max_size=10),
        st.sampled_from(SHORT_HOSTILE),
    ),
)

# --- What "escaped" means in a page ------------------------------------------------------------

# The page's own scripts: its CSP nonce, a json_script block, or the admin's static files.
OWN_SCRIPT_SOURCES = ("/static/", "/admin/jsi18n/")


class TagAudit(HTMLParser):
    """The tags a browser would build from the page, and what is wrong with them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not (
            "nonce" in attributes
            or attributes.get("type") == "application/json"
            or (attributes.get("src") or "").startswith(OWN_SCRIPT_SOURCES)
        ):
            self.problems.append(f"a script tag the page did not write: {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"an event handler attribute: <{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"a javascript: link: <{tag} {name}={value!r}>")


def assert_escaped(html: str, where: str) -> None:
    audit = TagAudit()
    audit.feed(html)
    audit.close()
    assert not audit.problems, f"{where}: {audit.problems[:3]}"


def check_response(response, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    if response.status_code in (301, 302, 303, 307, 308):
        location = response["Location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), (
            f"{where}: redirects off the site to {location!r}"
        )
    content_type = response.get("Content-Type", "")
    if "html" in content_type and not getattr(response, "streaming", False):
        assert_escaped(response.content.decode("utf-8", "replace"), where)


def encode(data: dict) -> str:
    """application/x-www-form-urlencoded, byte for byte: str values as UTF-8 (lone surrogates
    pass through as the invalid bytes they make), bytes values as they are."""
    parts = []
    for key, values in data.items():
        for value in values if isinstance(values, list) else [values]:
            raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
            parts.append(f"{quote_from_bytes(key.encode())}={quote_from_bytes(raw)}")
    return "&".join(parts)


# --- The forms and where they live ------------------------------------------------------------


@dataclass
class Case:
    """One form at one view: who sends it, a valid body, and where its values show again."""

    form: str  # "module.QualName"
    # therapist / manager / admin / operator (a superuser) / anonymous / unverified / client
    # (a visit to the client's own page)
    role: str
    url: Callable  # (test case) -> str
    base: Callable  # (test case) -> dict of valid data
    fields: list[str]  # the names fuzzed: the form's fields and what the view reads besides
    method: str = "post"
    shows: Callable = lambda t, location: []  # (test case, redirect) -> [(role, url)]
    also: Callable = lambda t: []  # other views that take the same body
    headers: dict = field(default_factory=dict)
    # The fields every run tries with each SHARP value (default: all); the others get
    # Hypothesis' draws only. Narrowed where a form is slow to draw and its choice fields
    # are plain Django choice fields.
    sharp_fields: list[str] | None = None
    date_fields: list[str] = field(default_factory=list)
    # Valid bodies beside the base that every run sends.
    examples: list[dict] = field(default_factory=list)
    # A crash this fuzzing found in a file outside this suite's care, reported to its owner:
    # an expected failure of exactly that exception, strict, so the fix shows.
    known_crash: tuple[type[Exception], str] | None = None


def today() -> str:
    return timezone.localdate().isoformat()


def client_pages(t, pk):
    # The dashboard and the audit page show names too; the CSV test and the sign-in case
    # cover those, and they are the slowest pages to draw a few hundred times.
    return [
        ("therapist", f"/clients/{pk}/"),
        ("therapist", f"/clients/{pk}/edit/"),
        ("manager", "/clients/"),
        ("admin", "/admin/clients/client/"),
        ("admin", f"/admin/clients/client/{pk}/change/"),
    ]


def new_client_pages(t, location):
    match = re.fullmatch(r"/clients/(\d+)/", location or "")
    return client_pages(t, match.group(1)) if match else []


def note_pages(t, location):
    ours = t.world.ours
    pages = [("therapist", f"/clients/{ours.client.pk}/"), ("manager", "/clients/dashboard/")]
    match = re.fullmatch(r"/clients/\d+/notes/(\d+)/", location or "")
    if match:
        pages += [
            ("therapist", location),
            ("admin", "/admin/clients/sessionnote/"),
            ("admin", f"/admin/clients/sessionnote/{match.group(1)}/change/"),
        ]
    return pages


def client_form_base(t):
    from clients.forms import ClientForm

    return bound_data(ClientForm(instance=t.world.ours.client, user=t.world.ours.therapist))


def bound_data(form) -> dict:
    """What a browser would send for an unchanged form."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = str(value)
    return data


def ours(t):
    return t.world.ours


def meeting_admin_data(meeting) -> dict:
    return bound_data(MeetingAdminForm(instance=Meeting.objects.get(pk=meeting.pk)))


SESSION_NOTE_FIELDS = [
    "session_date",
    "duration_minutes",
    "format",
    "stage_of_change",
    "craving_reported",
    "lapse_reported",
    "next_steps",
    "version",
    "section_data",
    "section_assessment",
    "section_plan",
    "section_subjective",
    "note_id",
    "action",
]


def bam_answers() -> dict:
    """A valid BAM as the form posts it: day counts, ratings, and item 14's yes or no."""
    from clients.outcomes import instrument

    answers = {}
    for item in instrument("bam").items:
        answers[f"item_{item.key}"] = "yes" if item.kind == "yes_no" else str(item.min)
    return answers


CASES = [
    Case(
        "clients.forms.clients.ClientForm",
        "therapist",
        url=lambda t: "/clients/new/",
        base=client_form_base,
        fields=[
            "preferred_name",
            "contact_email",
            "time_zone",
            "substances",
            "stage_of_change",
            "notes",
            "attendance_preference",
            "program_preference",
            "group_preference",
            "prefers_lgbtq_meetings",
            "language",
            "available_days",
            "available_from",
            "available_until",
            "place_name",
            "latitude",
            "longitude",
            "max_distance_km",
        ],
        shows=new_client_pages,
        sharp_fields=["preferred_name", "contact_email", "notes", "latitude", "max_distance_km"],
    ),
    Case(
        "clients.forms.clients.ClientForm",
        "manager",
        url=lambda t: f"/clients/{ours(t).client.pk}/edit/",
        base=lambda t: client_form_base(t) | {"primary_therapist": str(ours(t).therapist.pk)},
        fields=[
            "preferred_name",
            "primary_therapist",
            "status",
            "discharged_on",
            "notes",
            "contact_email",
            "place_name",
            "latitude",
            "longitude",
        ],
        shows=lambda t, location: [
            ("therapist", f"/clients/{ours(t).client.pk}/"),
            ("admin", f"/admin/clients/client/{ours(t).client.pk}/change/"),
        ],
        sharp_fields=["preferred_name", "primary_therapist", "discharged_on"],
        date_fields=["discharged_on"],
    ),
    Case(
        "clients.forms.notes.SessionNoteForm",
        "therapist",
        url=lambda t: f"/clients/{ours(t).client.pk}/notes/new/",
        base=lambda t: {
            "session_date": today(),
            "duration_minutes": "50",
            "format": "DAP",
            "section_data": "Talked about the week.",
            f"theme_{ours(t).theme.pk}": "2",
        },
        fields=SESSION_NOTE_FIELDS + ["theme"],
        sharp_fields=[
            "section_data",
            "next_steps",
            "note_id",
            "version",
            "duration_minutes",
            "theme",
        ],
        date_fields=["session_date"],
        shows=note_pages,
        also=lambda t: [
            f"/clients/{ours(t).client.pk}/notes/autosave/",
            f"/clients/{ours(t).client.pk}/notes/sections/",
            f"/clients/{ours(t).client.pk}/notes/suggestions/",
            f"/clients/{ours(t).client.pk}/notes/{ours(t).note.pk}/",
        ],
    ),
    Case(
        "clients.forms.notes.AddendumForm",
        "therapist",
        url=lambda t: f"/clients/{ours(t).client.pk}/notes/{ours(t).signed_note.pk}/addenda/",
        base=lambda t: {"text": "A correction."},
        fields=["text"],
        shows=lambda t, location: [
            ("therapist", f"/clients/{ours(t).client.pk}/notes/{ours(t).signed_note.pk}/"),
            ("admin", f"/admin/clients/sessionnote/{ours(t).signed_note.pk}/change/"),
        ],
    ),
    Case(
        "clients.forms.outcomes.MeasureForm",
        "therapist",
        url=lambda t: f"/clients/{ours(t).client.pk}/measures/new/",
        base=lambda t: bam_answers() | {"instrument": "bam", "administered_on": today()},
        fields=["instrument", "administered_on", "item_1", "item_2", "item_7A", "item_14"],
        date_fields=["administered_on"],
        shows=lambda t, location: [("therapist", f"/clients/{ours(t).client.pk}/")],
    ),
    Case(
        "clients.views.measure_requests.SendForm",
        "therapist",
        url=lambda t: f"/clients/{ours(t).client.pk}/measures/send/",
        base=lambda t: {"instrument": "bam"},
        fields=["instrument"],
        also=lambda t: [f"/clients/{ours(t).client.pk}/measures/schedule/stop/"],
    ),
    Case(
        "clients.views.measure_requests.ScheduleForm",
        "therapist",
        url=lambda t: f"/clients/{ours(t).client.pk}/measures/schedule/",
        base=lambda t: {"instrument": "barc10", "every_days": "90"},
        fields=["instrument", "every_days"],
    ),
    Case(
        "clients.forms.outcomes.InstrumentChoiceForm",
        "therapist",
        method="get",
        url=lambda t: f"/clients/{ours(t).client.pk}/measures/new/",
        base=lambda t: {"instrument": "barc10"},
        fields=["instrument"],
    ),
    Case(
        "clients.forms.clients.LadderMoveForm",
        "therapist",
        url=lambda t: f"/clients/{ours(t).client.pk}/ladder/",
        base=lambda t: {"step": "2", "reached_on": today(), "comment": "Went online."},
        fields=["step", "reached_on", "comment"],
        date_fields=["reached_on"],
        shows=lambda t, location: [
            ("therapist", f"/clients/{ours(t).client.pk}/"),
            ("manager", "/clients/dashboard/"),
            ("admin", "/admin/clients/laddermove/"),
            ("admin", f"/admin/clients/laddermove/{ours(t).ladder_move.pk + 1}/change/"),
        ],
    ),
    Case(
        "clients.forms.meetings.MeetingPlanForm",
        "therapist",
        url=lambda t: f"/clients/{ours(t).client.pk}/meetings/{t.world.meeting.pk}/plan/",
        base=lambda t: {"recurrence": "weekly", "starts_on": today()},
        fields=["recurrence", "starts_on", "until", "why"],
        date_fields=["starts_on", "until"],
        shows=lambda t, location: [
            ("therapist", f"/clients/{ours(t).client.pk}/"),
            ("admin", "/admin/clients/meetingplan/"),
        ],
    ),
    Case(
        "clients.forms.meetings.AttendanceForm",
        "therapist",
        url=lambda t: f"/clients/{ours(t).client.pk}/attendance/",
        base=lambda t: {
            "plan": str(ours(t).plan.pk),
            "occurrence": t.occurrence.isoformat(),
            "status": "missed",
            "reason": "anxious",
            "note": "Felt unwell.",
        },
        fields=["plan", "occurrence", "status", "reason", "note"],
        date_fields=["occurrence"],
        shows=lambda t, location: [
            ("therapist", location or f"/clients/{ours(t).client.pk}/"),
            ("admin", "/admin/clients/attendance/"),
            ("admin", f"/admin/clients/attendance/{ours(t).attendance.pk}/change/"),
        ],
    ),
    Case(
        "clients.forms.reminders.ConsentForm",
        "therapist",
        url=lambda t: f"/clients/{t.unconsented.pk}/reminders/consent/",
        base=lambda t: {"consent_text": "I agree to reminder emails.", "confirmed": "on"},
        fields=["consent_text", "confirmed"],
        shows=lambda t, location: [
            ("therapist", f"/clients/{t.unconsented.pk}/reminders/"),
            ("admin", f"/admin/clients/client/{t.unconsented.pk}/change/"),
        ],
    ),
    Case(
        "clients.forms.reminders.ReminderPreferencesForm",
        "therapist",
        url=lambda t: f"/clients/{ours(t).client.pk}/reminders/",
        base=lambda t: t.preferences_base,
        fields=[
            "reminder_lead_minutes",
            "checkin_enabled",
            "checkin_delay_minutes",
            "quiet_hours_start",
            "quiet_hours_end",
            "discreet_mode",
        ],
        shows=lambda t, location: [("therapist", f"/clients/{ours(t).client.pk}/reminders/")],
    ),
    Case(
        "clients.views.client_replies.AnswerForm",
        "anonymous",
        url=lambda t: f"/r/a/{make_token(Purpose.ANSWER, ours(t).reminder.pk)}/",
        base=lambda t: {"status": "missed", "reason": "schedule"},
        fields=["status", "reason"],
        shows=lambda t, location: [
            ("anonymous", f"/r/a/{make_token(Purpose.ANSWER, ours(t).reminder.pk)}/"),
            ("therapist", f"/clients/{ours(t).client.pk}/"),
        ],
    ),
    Case(
        "clients.views.client_replies.AnswerForm",
        "anonymous",
        method="get",
        url=lambda t: f"/r/a/{make_token(Purpose.ANSWER, ours(t).reminder.pk)}/",
        base=lambda t: {"answer": "attended"},
        fields=["answer"],
    ),
    # The client's own page: a visit opened by the email's link, its token in each form.
    Case(
        "clients.views.own_page.OwnAnswerForm",
        "client",
        url=lambda t: "/me/answer/",
        base=lambda t: {
            "visit_token": t.visit_token,
            "plan": ours(t).plan.pk,
            "start": t.occurrence.isoformat(),
            "status": "missed",
            "reason": "schedule",
        },
        fields=["visit_token", "plan", "start", "status", "reason"],
        shows=lambda t, location: [
            ("client", "/me/"),
            ("therapist", f"/clients/{ours(t).client.pk}/"),
        ],
    ),
    Case(
        "clients.views.own_page.OwnSettingsForm",
        "client",
        url=lambda t: "/me/reminders/",
        base=lambda t: {
            "visit_token": t.visit_token,
            "reminder_lead_minutes": "60",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:00",
            "discreet_mode": "on",
        },
        fields=[
            "visit_token",
            "reminder_lead_minutes",
            "quiet_hours_start",
            "quiet_hours_end",
            "discreet_mode",
            "checkin_enabled",
        ],
        shows=lambda t, location: [
            ("client", "/me/"),
            ("therapist", f"/clients/{ours(t).client.pk}/reminders/"),
        ],
    ),
    Case(
        "clients.views.own_page.PauseForm",
        "client",
        url=lambda t: "/me/pause/",
        base=lambda t: {"visit_token": t.visit_token, "weeks": "2"},
        fields=["visit_token", "weeks"],
        shows=lambda t, location: [
            ("client", "/me/"),
            ("therapist", f"/clients/{ours(t).client.pk}/"),
        ],
    ),
    Case(
        "clients.forms.dashboard.DashboardFilters",
        "manager",
        method="get",
        url=lambda t: "/clients/dashboard/",
        base=lambda t: {"start": "2026-01-01"},
        fields=["therapist", "start", "end", "csv"],
        date_fields=["start", "end"],
        examples=[{"start": "", "end": "0001-01-01"}],
    ),
    Case(
        "clients.views.records.ExportForm",
        "admin",
        url=lambda t: f"/clients/{ours(t).client.pk}/record/export/",
        base=lambda t: {
            "recipient": "The client",
            "purpose": "Their own copy",
            "sections": ["profile", "notes"],
            "format": "html",
        },
        fields=["recipient", "purpose", "sections", "format"],
        shows=lambda t, location: [
            ("admin", f"/clients/{ours(t).client.pk}/record/disclosures/"),
            ("admin", "/audit/"),
        ],
    ),
    Case(
        "clients.views.records.ErasureForm",
        "admin",
        url=lambda t: f"/clients/{ours(t).client.pk}/record/erasure/",
        base=lambda t: {"requested_on": today(), "confirm": "on"},
        fields=["requested_on", "confirm"],
        date_fields=["requested_on"],
        shows=lambda t, location: [("admin", f"/clients/{ours(t).client.pk}/")],
    ),
    Case(
        "clients.views.records.DeleteForm",
        "admin",
        url=lambda t: f"/clients/{ours(t).client.pk}/record/delete/",
        base=lambda t: {"confirm": "on"},
        fields=["confirm"],
    ),
    Case(
        "recovery.forms.SignInForm",
        "anonymous",
        url=lambda t: "/sign-in/",
        base=lambda t: {"username": ours(t).therapist.email, "password": "not the password"},
        fields=["username", "password", "next"],
        shows=lambda t, location: [
            ("manager", "/audit/"),
            ("admin", "/admin/recovery/auditevent/"),
        ],
    ),
    Case(
        "recovery.forms.VerifyForm",
        "unverified",
        url=lambda t: "/account/two-factor/verify/",
        base=lambda t: {"code": "123456"},
        fields=["code", "next"],
    ),
    Case(
        "recovery.forms.EnrolForm",
        "therapist",
        url=lambda t: "/account/two-factor/set-up/",
        base=lambda t: {"code": "123456"},
        fields=["code", "next"],
    ),
    Case(
        "recovery.forms.ChangePasswordForm",
        "therapist",
        url=lambda t: "/account/password/",
        base=lambda t: {
            "old_password": TEST_PASSWORD,
            "new_password1": "a long new passphrase here",
            "new_password2": "a long new passphrase here",
        },
        fields=["old_password", "new_password1", "new_password2"],
    ),
    Case(
        "recovery.forms.InvitationForm",
        "admin",
        url=lambda t: "/staff/",
        base=lambda t: {
            "email": "new.person@example.org",
            "full_name": "New Person",
            "role": "therapist",
        },
        fields=["email", "full_name", "role"],
        shows=lambda t, location: [("admin", "/staff/")],
    ),
    Case(
        "groups.forms.FeedForm",
        "admin",
        url=lambda t: "/meetings/feeds/add/",
        base=lambda t: {
            "name": "Lakes Intergroup",
            "format": "meeting-guide",
            "source": "https://lakes.example.org/wp-admin/admin-ajax.php?action=meetings",
            "default_time_zone": "America/New_York",
        },
        fields=["name", "format", "source", "default_program", "default_time_zone"],
        shows=lambda t, location: [("admin", "/meetings/feeds/"), ("admin", location)],
    ),
    Case(
        "groups.forms.PublishedListForm",
        "admin",
        url=lambda t: "/meetings/published/",
        base=lambda t: {
            "title": "Meetings we recommend",
            "slug": "list-ours",
            "is_published": "on",
        },
        fields=["title", "slug", "is_published"],
        shows=lambda t, location: [("admin", "/meetings/published/")],
    ),
    Case(
        # The world's own pending invitation (tests/security/conftest.py); once a valid body
        # has accepted it, later runs meet the calm 404 of a used link.
        "recovery.forms.AcceptInvitationForm",
        "anonymous",
        url=lambda t: f"/welcome/token-{t.world.ours.practice.pk}/",
        base=lambda t: {
            "new_password1": "a long new passphrase here",
            "new_password2": "a long new passphrase here",
        },
        fields=["new_password1", "new_password2"],
    ),
    Case(
        "clients.admin.ResistanceThemeForm",
        "admin",
        url=lambda t: "/admin/clients/resistancetheme/add/",
        base=lambda t: {
            "practice": str(ours(t).practice.pk),
            "slug": "shift-work",
            "name": "Shift work",
            "description": "Works nights.",
            "questions": "When are you free?\nWho else works nights?",
            "reframes": "Recovery can fit around a rota.",
            "meeting_features": "attendance:online\ntype:BE, program:secular",
            "position": "100",
            "is_active": "on",
        },
        fields=["slug", "name", "description", "questions", "reframes", "meeting_features"],
        shows=lambda t, location: [("admin", "/admin/clients/resistancetheme/")],
    ),
    Case(
        # The catalogue is the hosting operator's to change (a superuser).
        "groups.admin.MeetingAdminForm",
        "operator",
        url=lambda t: f"/admin/groups/meeting/{t.world.meeting.pk}/change/",
        base=lambda t: meeting_admin_data(t.world.meeting),
        fields=["name", "types", "feed_regions", "notes"],
        shows=lambda t, location: [
            ("operator", f"/admin/groups/meeting/{t.world.meeting.pk}/change/")
        ],
    ),
    Case(
        "recovery.audit_filters.AuditFilter",
        "manager",
        method="get",
        url=lambda t: "/audit/",
        base=lambda t: {},
        fields=["user", "client", "action", "start", "end", "format", "page"],
        date_fields=["start", "end"],
    ),
    Case(
        "clients.filters.CaseloadFilter",
        "manager",
        method="get",
        url=lambda t: "/clients/",
        base=lambda t: {},
        fields=["q", "stage", "step", "status", "therapist", "page"],
    ),
    Case(
        "groups.filters.MeetingFilter",
        "therapist",
        method="get",
        url=lambda t: "/meetings/",
        base=lambda t: {},
        fields=[
            "q",
            "program",
            "day",
            "time_of_day",
            "within_hours",
            "attendance",
            "types",
            "language",
            "near",
            "within",
            "lat",
            "lng",
            "page",
        ],
        also=lambda t: [f"/clients/{ours(t).client.pk}/meetings/"],
        headers={"HTTP_HX_REQUEST": "true"},
    ),
]


def project_forms() -> set[str]:
    """Every Form, ModelForm and FilterSet class defined in the project's own modules."""
    found = set()
    for app in ("recovery", "clients", "groups"):
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            module = importlib.import_module(info.name)
            for obj in vars(module).values():
                if (
                    inspect.isclass(obj)
                    and obj.__module__ == module.__name__
                    and issubclass(obj, forms.BaseForm | django_filters.FilterSet)
                ):
                    found.add(f"{obj.__module__}.{obj.__qualname__}")
    return found


def test_every_form_of_the_project_is_fuzzed():
    covered = {case.form for case in CASES}
    # A FilterSet's own form class is fuzzed through the FilterSet's case.
    for name in list(covered):
        module, _, qualname = name.rpartition(".")
        declared = getattr(importlib.import_module(module), qualname)
        if not issubclass(declared, django_filters.FilterSet):
            continue
        form_class = declared._meta.form
        if form_class is not forms.Form:
            covered.add(f"{form_class.__module__}.{form_class.__qualname__}")
    missing = project_forms() - covered
    assert not missing, f"forms no fuzz case covers (add a Case to CASES): {sorted(missing)}"


# --- The fuzzing ------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=10,
    deadline=None,
    # CI (CI=true) draws the same examples every run, so a red run is repeatable and a green
    # one is not luck; at a desk every run draws new ones, and Hypothesis keeps any failure
    # in .hypothesis/ to replay first next time.
    derandomize=bool(os.environ.get("CI")),
    # 1 MB values are the point, and a few hundred requests take their time. (Examples share
    # nothing but the class's data: each runs in its own transaction.)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@override_settings(
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    # The client's visit is opened once for the class; examples roll its last_seen_at back.
    CLIENT_PAGE_IDLE_MINUTES=24 * 60,
    CLIENT_PAGE_SESSION_MAX_MINUTES=24 * 60,
)
class FormFuzz(TestCase):
    @classmethod
    def setUpTestData(cls):
        practice = PracticeFactory(name="Harbor Counseling")
        therapist = UserFactory(practice=practice, role=Role.THERAPIST, full_name="Dana Owner")
        meeting = MeetingFactory(name="Shared catalogue meeting", attendance_option="online")
        cls.world = SimpleNamespace()
        cls.world.meeting = meeting
        cls.world.ours = build_practice_data(
            practice=practice,
            therapist=therapist,
            manager=UserFactory(practice=practice, role=Role.MANAGER, full_name="Morgan"),
            admin=UserFactory(practice=practice, role=Role.ADMIN, is_staff=True, full_name="Av"),
            meeting=meeting,
        )
        plan = cls.world.ours.plan
        plan.starts_on = timezone.localdate() - datetime.timedelta(days=28)
        plan.created_at = timezone.now() - datetime.timedelta(days=28)
        plan.save()
        now = timezone.now()
        cls.occurrence = plan.occurrences(now - datetime.timedelta(days=14), now)[-1]
        cls.unconsented = ClientFactory(primary_therapist=therapist, preferred_name="Noel")
        from clients.forms import ReminderPreferencesForm

        cls.preferences_base = bound_data(ReminderPreferencesForm(instance=cls.world.ours.client))
        users = cls.world.ours.users()
        cls.cookies = {role: signed_in(user).cookies for role, user in users.items()}
        cls.cookies["unverified"] = signed_in(therapist, verified=False).cookies
        operator = UserFactory(practice=practice, role=Role.ADMIN, is_staff=True, is_superuser=True)
        cls.cookies["operator"] = signed_in(operator).cookies
        cls.cookies["anonymous"] = None
        # The client of the plan, on their own page as an email's link opens it.
        visitor = HttpClient()
        visitor.get(f"/r/p/{make_token(Purpose.PAGE, cls.world.ours.client.pk)}/")
        cls.cookies["client"] = visitor.cookies
        page = visitor.get("/me/").content.decode()
        cls.visit_token = re.search(r'name="visit_token" value="(\w+)"', page).group(1)

    def browser(self, role: str) -> HttpClient:
        browser = HttpClient()
        if self.cookies[role] is not None:
            browser.cookies = self.cookies[role]
        return browser

    def send(self, case: Case, url: str, data: dict):
        browser = self.browser(case.role)
        body = encode(data)
        if case.method == "get":
            return browser.get(f"{url}?{body}", **case.headers)
        return browser.post(url, body, content_type="application/x-www-form-urlencoded")

    def fuzz(self, case: Case, payload: dict):
        data = case.base(self)
        for name, value in payload.items():
            if name == "theme":
                name = f"theme_{self.world.ours.theme.pk}"
            data[name] = value
        url = case.url(self)
        response = self.send(case, url, data)
        where = f"{case.method.upper()} {url} {case.form}"
        check_response(response, where)
        for other in case.also(self):
            check_response(self.send(case, other, data), f"{case.method.upper()} {other}")
        if case.method == "post" and response.status_code in (200, 302):
            for role, page in case.shows(self, response.get("Location")):
                check_response(self.browser(role).get(page), f"{page} after {where}")


def _fuzz_test(index: int, case: Case):
    fields = st.sampled_from(case.fields)

    @FUZZ
    @given(payload=st.dictionaries(fields, hostile_value, min_size=1, max_size=4))
    def test(self, payload):
        self.fuzz(case, payload)

    for name in case.sharp_fields or case.fields:
        for value in SHARP:
            test = example(payload={name: value})(test)
    for name in case.date_fields:
        for value in SHARP_DATES:
            test = example(payload={name: value})(test)
    for payload in case.examples:
        test = example(payload=payload)(test)
    if case.known_crash:
        exception, reason = case.known_crash
        test = pytest.mark.xfail(raises=exception, strict=True, reason=reason)(test)

    name = case.form.rsplit(".", 1)[1]
    test.__name__ = f"test_{index:02d}_{name}_{case.method}_{case.role}"
    return test


for _index, _case in enumerate(CASES):
    _test = _fuzz_test(_index, _case)
    setattr(FormFuzz, _test.__name__, _test)


# --- Emails -----------------------------------------------------------------------------------

# What can reach the database: the forms refuse NUL, and UTF-8 has no lone surrogates.
storable_text = st.one_of(st.sampled_from(HOSTILE), st.text(min_size=1, max_size=40)).filter(
    lambda value: (
        isinstance(value, str)
        and value.strip()
        and "\x00" not in value
        and not re.search("[\ud800-\udfff]", value)
        and len(value) <= 150
    )
)


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class EmailFuzz(TestCase):
    @classmethod
    def setUpTestData(cls):
        practice = PracticeFactory(email_sender_name="Your care team")
        therapist = UserFactory(practice=practice, role=Role.THERAPIST)
        meeting = MeetingFactory(attendance_option="hybrid", location_name="Hall")
        cls.data = build_practice_data(
            practice=practice,
            therapist=therapist,
            manager=UserFactory(practice=practice, role=Role.MANAGER),
            admin=UserFactory(practice=practice, role=Role.ADMIN, is_staff=True),
            meeting=meeting,
        )
        start = timezone.now() + datetime.timedelta(days=2)
        cls.before = Reminder.objects.create(
            plan=cls.data.plan, occurrence_start=start, kind=ReminderKind.BEFORE, due_at=start
        )

    @FUZZ
    @given(name=storable_text, title=storable_text, sender=storable_text, discreet=st.booleans())
    def test_reminder_emails_escape_hostile_names(self, name, title, sender, discreet):
        client = self.data.client
        client.preferred_name = name
        client.discreet_mode = discreet
        client.save()
        meeting = self.data.plan.meeting
        meeting.name = title
        meeting.location_notes = title
        meeting.save()
        practice = self.data.practice
        practice.email_sender_name = sender[:100]
        practice.save()
        for reminder in (self.before, self.data.reminder):
            reminder = Reminder.objects.select_related(
                "plan__client__practice", "plan__meeting__program"
            ).get(pk=reminder.pk)
            message = reminder_email(reminder)
            [(html, mime)] = message.alternatives
            assert mime == "text/html"
            assert_escaped(html, f"{reminder.kind} email")
            assert "\n" not in message.subject and "\r" not in message.subject
            message.message().as_bytes()  # headers build: no injection, no crash
            for purpose, path in ((Purpose.ANSWER, "a"), (Purpose.UNSUBSCRIBE, "u")):
                page = HttpClient().get(f"/r/{path}/{make_token(purpose, reminder.pk)}/")
                check_response(page, f"/r/{path}/ for a hostile name")


# --- A whole record of hostile text -----------------------------------------------------------


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class RecordFuzz(TestCase):
    """Hostile text in every free-text column of a client's record, however it got there
    (a form, an import, the admin), shown on every page that draws it."""

    @classmethod
    def setUpTestData(cls):
        practice = PracticeFactory()
        therapist = UserFactory(practice=practice, role=Role.THERAPIST)
        cls.data = build_practice_data(
            practice=practice,
            therapist=therapist,
            manager=UserFactory(practice=practice, role=Role.MANAGER),
            admin=UserFactory(practice=practice, role=Role.ADMIN, is_staff=True),
            meeting=MeetingFactory(attendance_option="online"),
        )
        cls.cookies = {role: signed_in(user).cookies for role, user in cls.data.users().items()}

    def get(self, role: str, url: str, **kwargs):
        browser = HttpClient()
        browser.cookies = self.cookies[role]
        return browser.get(url, **kwargs)

    @FUZZ
    @given(text=storable_text)
    def test_a_hostile_record_is_escaped_everywhere_it_shows(self, text):
        data = self.data
        client, note = data.client, data.signed_note
        client.preferred_name = text[:100]
        client.notes = text
        client.email_consent_text = text
        client.save()
        type(note).objects.filter(pk=note.pk).update(sections={"data": text}, next_steps=text)
        type(data.note).objects.filter(pk=data.note.pk).update(sections={"data": text})
        type(data.addendum).objects.filter(pk=data.addendum.pk).update(text=text)
        type(data.ladder_move).objects.filter(pk=data.ladder_move.pk).update(comment=text[:500])
        type(data.attendance).objects.filter(pk=data.attendance.pk).update(note=text[:500])
        type(data.theme).objects.filter(pk=data.theme.pk).update(name=text[:120])
        data.therapist.full_name = text[:150]
        data.therapist.save()
        pk = client.pk
        pages = [
            ("therapist", f"/clients/{pk}/"),
            ("therapist", f"/clients/{pk}/?history=all"),
            ("therapist", f"/clients/{pk}/edit/"),
            ("therapist", f"/clients/{pk}/reminders/"),
            ("therapist", f"/clients/{pk}/notes/{note.pk}/"),
            ("therapist", f"/clients/{pk}/notes/{data.note.pk}/"),
            ("therapist", f"/clients/{pk}/meetings/"),
            ("manager", "/clients/"),
            ("manager", "/clients/dashboard/"),
            ("manager", "/audit/"),
            ("admin", f"/clients/{pk}/record/disclosures/"),
            ("admin", "/admin/clients/client/"),
            ("admin", f"/admin/clients/client/{pk}/change/"),
            ("admin", f"/admin/clients/sessionnote/{note.pk}/change/"),
            ("admin", f"/admin/clients/attendance/{data.attendance.pk}/change/"),
            ("admin", "/admin/clients/laddermove/"),
            ("admin", "/admin/recovery/user/"),
        ]
        for role, url in pages:
            check_response(self.get(role, url), f"{url} of a hostile record")
        browser = HttpClient()
        browser.cookies = self.cookies["admin"]
        printable = browser.post(
            f"/clients/{pk}/record/export/",
            {
                "recipient": text,
                "purpose": text,
                "sections": [value for value, _label in RecordSection.choices],
                "format": "html",
            },
            follow=True,
        )
        assert printable.status_code == 200
        check_response(printable, "the printable record export")
