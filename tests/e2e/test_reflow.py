"""Every page at 320, 390 and 1366 CSS px in Chromium: no sideways scrolling, nothing wider
than the screen, and axe-core clean (WCAG 2.2, 1.4.10 Reflow).

A wide table may still scroll inside its own region, on purpose: such a region has a name
and takes keyboard focus (`role="region"`, `aria-labelledby`, `tabindex="0"`), so a keyboard
user can scroll it too. Anything else that scrolls sideways, or sticks out of the screen,
fails the page.

`test_every_page_is_walked` lists the URL names of the app: a new page fails it until it is
added to the walk, or to the names that are not pages (posts, fragments, JSON, redirects).
"""

import base64
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.models import (
    AttendanceStatus,
    MeasureSource,
    Reminder,
    ReminderKind,
    ReminderStatus,
    ReportedBy,
    ResistanceTheme,
)
from clients.services import (
    addendum_create,
    email_consent_record,
    outcome_measure_store,
    session_note_sign,
)
from clients.services.measure_requests import measure_request_send
from clients.services.page_links import page_link_token
from clients.tokens import Purpose, make_token
from groups.feeds import feed_refresh
from groups.models import Feed, PublishedList, RecommendedMeeting
from recovery.celery import app as celery_app
from recovery.invitations import invitation_create
from recovery.models import Role
from tests.e2e.test_accessibility import blocking_violations, describe
from tests.factories import (
    TEST_PASSWORD,
    AttendanceFactory,
    ClientFactory,
    LadderMoveFactory,
    MeetingFactory,
    MeetingPlanFactory,
    NoteThemeFactory,
    SessionNoteFactory,
    UserFactory,
)

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")
pytest.importorskip("axe_playwright_python", reason="accessibility tests need axe-playwright")
expect = sync_api.expect

WIDTHS = (320, 390, 1366)
TRICKY = Path(__file__).resolve().parents[1] / "groups" / "fixtures" / "meeting_guide_tricky.json"

# Long words, an email address and a web address with no place to break: they must wrap.
LONG_EMAIL = "jordan.alexander.whitfield-montgomery@counseling-example-harbor.org"
LONG_URL = "https://meet.example.org/j/84512367890?pwd=UkZ3bXpQSlNtT0FrL2Vxa3ZtZz09&uname=guest"
LONG_NAME = "Saturday Morning Serenity-and-Self-Compassion Beginners' Discussion Group"

# --- What is not a page: every other URL name must be walked below -------------------------
NOT_PAGES = {
    "home": "redirects to the caseload or the dashboard",
    "logout": "POST only",
    "session_status": "JSON for the idle warning",
    "session_keepalive": "JSON for the idle warning",
    "invitation_revoke": "POST only",
    "invitation_resend": "POST only",
    "csp_report": "POST only, JSON",
    "healthz": "JSON for monitoring",
    "clients:ladder": "POST only",
    "clients:plan_new": "POST only",
    "clients:plan_end": "POST only",
    "clients:attendance": "POST only",
    "clients:consent": "POST only",
    "clients:consent_withdraw": "POST only",
    "clients:note_autosave": "htmx POST, a status fragment",
    "clients:note_sections": "htmx POST, a fragment of the note form",
    "clients:note_suggestions": "htmx POST, a fragment of the note form",
    "clients:note_addendum": "POST only",
    "clients:measure_schedule": "POST only",
    "clients:measure_schedule_stop": "POST only",
    "groups:recommend": "POST only",
    "groups:feed_status": "htmx fragment of the feed page",
    "groups:feed_import": "POST only",
    "groups:feed_pause": "POST only",
    "groups:published_feed": "JSON (Meeting Guide)",
    "responses:join": "redirects to the meeting's conference link",
    "responses:page": "opens a visit and redirects to the client's own page (walked below)",
    "clients:page_links_revoke": "POST only",
    "own_page:answer": "POST only, back to the client's own page",
    "own_page:settings": "POST only, back to the client's own page",
    "own_page:pause": "POST only, back to the client's own page",
    "own_page:resume": "POST only, back to the client's own page",
}


def url_names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    """Every named URL of the project, namespaced; Django's admin is its own, not ours."""
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            space = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            names |= url_names(entry, space)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(prefix + entry.name)
    return names


# --- The data every page shows ---------------------------------------------------------------
@pytest.fixture
def world(practice, therapist, manager, practice_admin, client_record, monkeypatch):
    """One practice's worth of everything, with long words in the places that wrap worst."""
    # The invitation email and the feed import run at once, as a worker would run them.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    today = timezone.localdate()
    now = timezone.now()
    # The header shows the practice and the person signed in: both may be long.
    practice.name = "Harbor Counseling and Recovery Services of the Tri-County Area"
    practice.save()
    therapist.full_name = "Dana Owner-Castellanos Whitfield"
    therapist.save()
    practice_admin.full_name = "Avery Admin-Okonkwo Lindqvist"
    practice_admin.save()
    client = client_record
    client.contact_email = LONG_EMAIL
    client.save()
    ClientFactory(primary_therapist=therapist, preferred_name="Sam")
    ClientFactory(
        primary_therapist=UserFactory(practice=practice, full_name="Riley Colleague"),
        preferred_name="Alexandria-Maximiliana",
    )

    fear, practical, anxiety = (
        ResistanceTheme.objects.get(practice=None, slug=slug)
        for slug in ("fear-of-judgment", "practical-barriers", "social-anxiety")
    )
    for weeks_ago, themes in (
        (3, {fear: 3, anxiety: 2}),
        (2, {fear: 2, practical: 3}),
        (1, {fear: 1, practical: 2}),
    ):
        note = SessionNoteFactory(
            client=client,
            session_date=today - datetime.timedelta(weeks=weeks_ago),
            sections={
                "data": f"Shared the link a friend sent: {LONG_URL}",
                "assessment": "Ambivalent-but-curious about online meetings.",
                "plan": "Listen in, camera off.",
            },
        )
        for theme, intensity in themes.items():
            NoteThemeFactory(note=note, theme=theme, intensity=intensity)
        note = session_note_sign(actor=therapist, note=note)
    addendum_create(actor=therapist, note=note, text=f"The link changed: {LONG_URL}")
    SessionNoteFactory(client=client, session_date=today)
    LadderMoveFactory(client=client, step=1, reached_on=today - datetime.timedelta(days=20))
    LadderMoveFactory(client=client, step=2, reached_on=today - datetime.timedelta(days=6))

    meeting = MeetingFactory(
        name=LONG_NAME,
        attendance_option="hybrid",
        location_name="St. Bartholomew's Community Center",
        address="1234 Northwestern Boulevard",
        city="Anytown",
        region="CA",
        conference_url=LONG_URL,
        conference_phone="+1 555 0100 ,,84512367890#",
        notes="Enter by the side door; the meeting room is downstairs.",
        types=["O", "D", "BE", "LGBTQ", "W"],
    )
    MeetingFactory(name="Harbor Light Online Group", attendance_option="online")
    plan = MeetingPlanFactory(
        client=client, meeting=meeting, starts_on=today - datetime.timedelta(days=10)
    )
    AttendanceFactory(
        plan=plan,
        occurrence_start=now - datetime.timedelta(days=3),
        status=AttendanceStatus.ATTENDED,
        reported_by=ReportedBy.THERAPIST,
        reported_by_user=therapist,
        reported_at=now,
    )
    email_consent_record(actor=therapist, client=client)
    checkin = Reminder.objects.create(
        plan=plan,
        occurrence_start=now - datetime.timedelta(days=3),
        kind=ReminderKind.CHECKIN,
        due_at=now - datetime.timedelta(days=3),
        status=ReminderStatus.SENT,
        sent_at=now - datetime.timedelta(days=3),
    )
    Reminder.objects.create(
        plan=plan,
        occurrence_start=now + datetime.timedelta(days=4),
        kind=ReminderKind.BEFORE,
        due_at=now + datetime.timedelta(days=4),
        status=ReminderStatus.FAILED,
        attempts=5,
        last_error="SMTPRecipientsRefused: 550 5.1.1 <" + LONG_EMAIL + ">: mailbox unavailable",
    )

    for days_ago, answer in ((90, 2), (30, 4)):
        outcome_measure_store(
            client=client,
            instrument="barc10",
            responses={str(n): answer for n in range(1, 11)},
            administered_on=today - datetime.timedelta(days=days_ago),
            source=MeasureSource.THERAPIST,
            entered_by=therapist,
        )
    phq9 = outcome_measure_store(
        client=client,
        instrument="phq9",
        responses={str(n): 1 for n in range(1, 10)},
        administered_on=today - datetime.timedelta(days=7),
        source=MeasureSource.THERAPIST,
        entered_by=therapist,
    )
    measure_request = measure_request_send(actor=therapist, client=client, instrument="gad7")

    feed = Feed.objects.create(
        practice=practice,
        name="Tri-County Intergroup",
        format="meeting-guide",
        upload=TRICKY.read_bytes(),
        upload_name=TRICKY.name,
        default_time_zone="America/Los_Angeles",
    )
    feed_refresh(feed.pk)
    RecommendedMeeting.objects.create(practice=practice, meeting=meeting, added_by=practice_admin)
    published = PublishedList.objects.create(
        practice=practice, slug="harbor-list", title="Meetings we recommend", is_published=True
    )
    invitation = invitation_create(
        actor=practice_admin,
        practice=practice,
        email="morgan.alexandra.fitzgerald-reyes@counseling-example-harbor.org",
        full_name="Morgan Fitzgerald-Reyes",
        role=Role.THERAPIST,
    )
    # Someone with an authenticator set up, for the page that asks for its code.
    verifier = UserFactory(practice=practice, role=Role.THERAPIST, full_name="Vera Verifier")
    TOTPDevice.objects.create(user=verifier, name="Phone", confirmed=True)

    return SimpleNamespace(
        client=client,
        note=note,
        meeting=meeting,
        measure=phq9,
        feed=feed,
        published=published,
        invitation_token=invitation.outgoing_token,
        answer_token=make_token(Purpose.ANSWER, checkin.pk),
        unsubscribe_token=make_token(Purpose.UNSUBSCRIBE, checkin.pk),
        measure_token=make_token(Purpose.MEASURE, measure_request.reminder.pk),
        page_token=page_link_token(client),
        users={
            "therapist": therapist,
            "manager": manager,
            "admin": practice_admin,
            "verifier": verifier,
        },
    )


# --- How to reach each page ------------------------------------------------------------------
def go(path: Callable[[SimpleNamespace], str]):
    return lambda page, w: page.goto(path(w))


def to_backup_codes(page, w):
    """Backup codes show once, after setting up an authenticator."""
    page.goto("/account/two-factor/set-up/")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("Code from the app").fill(f"{TOTP(key).token():06d}")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator("#backup-codes li")).to_have_count(10)


def to_printed_record(page, w):
    """The printable export is shown once the disclosure is recorded."""
    page.goto(f"/clients/{w.client.pk}/record/export/")
    page.get_by_label("To whom").fill("Dr. Lee, Riverside Treatment Center")
    page.get_by_label("Why").fill("Continuity of care, with the client's written consent.")
    page.get_by_label("Printable page").check()
    page.get_by_role("button", name="Record the disclosure and export").click()
    expect(page.locator("#part2-notice")).to_be_visible()
    # Measured once the page and its stylesheets have loaded, not while it still lays out.
    page.wait_for_load_state("load")


def to_own_page(page, w):
    """The client's own page opens from the link in their emails."""
    page.goto(f"/r/p/{w.page_token}/")
    expect(page.get_by_role("heading", name=f"Hi {w.client.preferred_name}")).to_be_visible()


def own_page_button(name: str):
    def arrive(page, w):
        to_own_page(page, w)
        page.get_by_role("button", name=name).click()
        page.wait_for_load_state()

    return arrive


@dataclass(frozen=True)
class Walk:
    url_name: str
    who: str | None  # a key of world.users; None for a page without sign-in
    arrive: Callable
    # Drawn when this is attached (charts draw after the page has loaded).
    ready: tuple[str, ...] = field(default=())


WALKS = {
    "sign-in": Walk("login", None, go(lambda w: "/sign-in/")),
    "caseload": Walk("clients:caseload", "therapist", go(lambda w: "/clients/")),
    "practice clients": Walk("clients:caseload", "manager", go(lambda w: "/clients/")),
    "add client": Walk("clients:add", "therapist", go(lambda w: "/clients/new/")),
    "client": Walk(
        "clients:detail",
        "therapist",
        go(lambda w: f"/clients/{w.client.pk}/"),
        ready=("#theme-chart[data-drawn=true]", "#outcome-chart-barc10[data-drawn=true]"),
    ),
    "client, admin": Walk("clients:detail", "admin", go(lambda w: f"/clients/{w.client.pk}/")),
    "client edit": Walk("clients:edit", "therapist", go(lambda w: f"/clients/{w.client.pk}/edit/")),
    "note form": Walk(
        "clients:note_new", "therapist", go(lambda w: f"/clients/{w.client.pk}/notes/new/")
    ),
    "note": Walk(
        "clients:note",
        "therapist",
        go(lambda w: f"/clients/{w.client.pk}/notes/{w.note.pk}/"),
    ),
    "reminders": Walk(
        "clients:reminders", "therapist", go(lambda w: f"/clients/{w.client.pk}/reminders/")
    ),
    "client's meeting search": Walk(
        "clients:meetings", "therapist", go(lambda w: f"/clients/{w.client.pk}/meetings/")
    ),
    "meeting plan": Walk(
        "clients:meeting",
        "therapist",
        go(lambda w: f"/clients/{w.client.pk}/meetings/{w.meeting.pk}/"),
    ),
    "measure choice": Walk(
        "clients:measure_new", "therapist", go(lambda w: f"/clients/{w.client.pk}/measures/new/")
    ),
    "measure form": Walk(
        "clients:measure_new",
        "therapist",
        go(lambda w: f"/clients/{w.client.pk}/measures/new/?instrument=barc10"),
    ),
    "measure": Walk(
        "clients:measure",
        "therapist",
        go(lambda w: f"/clients/{w.client.pk}/measures/{w.measure.pk}/"),
    ),
    "questionnaires by email": Walk(
        "clients:measure_send", "therapist", go(lambda w: f"/clients/{w.client.pk}/measures/send/")
    ),
    "record export": Walk(
        "clients:record_export", "admin", go(lambda w: f"/clients/{w.client.pk}/record/export/")
    ),
    "printed record": Walk("clients:record_disclosure_print", "admin", to_printed_record),
    "disclosures": Walk(
        "clients:record_disclosures",
        "admin",
        go(lambda w: f"/clients/{w.client.pk}/record/disclosures/"),
    ),
    "erasure": Walk(
        "clients:record_erasure", "admin", go(lambda w: f"/clients/{w.client.pk}/record/erasure/")
    ),
    "deletion": Walk(
        "clients:record_delete", "admin", go(lambda w: f"/clients/{w.client.pk}/record/delete/")
    ),
    "dashboard": Walk(
        "clients:dashboard",
        "manager",
        go(lambda w: "/clients/dashboard/"),
        ready=("#chart-funnel[data-drawn=true]", "#chart-themes[data-drawn=true]"),
    ),
    "meeting search": Walk("groups:list", "therapist", go(lambda w: "/meetings/?q=group")),
    "meeting": Walk("groups:detail", "admin", go(lambda w: f"/meetings/{w.meeting.pk}/")),
    "feeds": Walk("groups:feed_list", "admin", go(lambda w: "/meetings/feeds/")),
    "feed add": Walk("groups:feed_add", "admin", go(lambda w: "/meetings/feeds/add/")),
    "feed report": Walk(
        "groups:feed_detail", "admin", go(lambda w: f"/meetings/feeds/{w.feed.pk}/")
    ),
    "feed edit": Walk(
        "groups:feed_edit", "admin", go(lambda w: f"/meetings/feeds/{w.feed.pk}/edit/")
    ),
    "feed removal": Walk(
        "groups:feed_delete", "admin", go(lambda w: f"/meetings/feeds/{w.feed.pk}/remove/")
    ),
    "recommended list": Walk(
        "groups:published_list", "admin", go(lambda w: "/meetings/published/")
    ),
    "published meetings": Walk(
        "groups:published_page", None, go(lambda w: f"/meetings/published/{w.published.slug}/")
    ),
    "audit trail": Walk("audit:log", "manager", go(lambda w: "/audit/")),
    "staff": Walk("staff_list", "admin", go(lambda w: "/staff/")),
    "invitation": Walk("invitation_accept", None, go(lambda w: f"/welcome/{w.invitation_token}/")),
    "account security": Walk("account_security", "therapist", go(lambda w: "/account/security/")),
    "password change": Walk("password_change", "therapist", go(lambda w: "/account/password/")),
    "two-factor set-up": Walk(
        "two_factor_enrol", "therapist", go(lambda w: "/account/two-factor/set-up/")
    ),
    "two-factor code": Walk(
        "two_factor_verify", "verifier", go(lambda w: "/account/two-factor/verify/")
    ),
    "backup codes": Walk("two_factor_backup_codes", "therapist", to_backup_codes),
    "client's answer": Walk("responses:answer", None, go(lambda w: f"/r/a/{w.answer_token}/")),
    "client's unsubscribe": Walk(
        "responses:unsubscribe", None, go(lambda w: f"/r/u/{w.unsubscribe_token}/")
    ),
    "client's questionnaire": Walk(
        "responses:measure", None, go(lambda w: f"/r/q/{w.measure_token}/")
    ),
    "client's own page": Walk("own_page:home", None, to_own_page),
    "client's own page, emails stopped": Walk(
        "own_page:stop", None, own_page_button("Stop all emails")
    ),
    "client's own page, left": Walk("own_page:leave", None, own_page_button("Leave this page")),
}

# Every element that sticks out of the screen, and every box that scrolls sideways without
# being a named, focusable region; a region made on purpose may hold wider content.
MEASURE_OVERFLOW = """
() => {
  const width = document.documentElement.clientWidth;
  const name = (el) =>
    el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    [...el.classList].slice(0, 3).map((c) => "." + c).join("");
  const path = (el) => {
    const parts = [];
    for (let n = el; n && n !== document.body && parts.length < 4; n = n.parentElement) {
      parts.unshift(name(n));
    }
    return parts.join(" > ");
  };
  const REGION = "[role=region][tabindex='0']:is([aria-labelledby], [aria-label])";
  const problems = [];
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    const scrolls = ["auto", "scroll"].includes(style.overflowX);
    if (scrolls && el.scrollWidth > el.clientWidth + 1 && !el.matches(REGION)) {
      problems.push(`${path(el)} scrolls sideways (${el.scrollWidth} > ${el.clientWidth} px)` +
        " but is not a named, focusable region");
    }
    // A region holds what it scrolls, unless that is positioned against something outside
    // it (visually hidden text in a cell, say).
    const region = el.parentElement && el.parentElement.closest(REGION);
    const escapes = ["absolute", "fixed"].includes(style.position) &&
      !region?.contains(el.offsetParent);
    if (region && !escapes) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right > width + 1 || box.left < -1) {
      const [left, right] = [Math.round(box.left), Math.round(box.right)];
      problems.push(`${path(el)} spans ${left}–${right} px of ${width}`);
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    problems: problems.slice(0, 12),
  };
}
"""


@pytest.fixture
def at_width(browser, live_server):
    """A fresh tab at the given viewport width, on the live server."""
    contexts = []

    def open_tab(width: int):
        context = browser.new_context(
            viewport={"width": width, "height": 800}, base_url=live_server.url
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_tab
    for context in contexts:
        context.close()


def sign_in(page, user) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # On a phone the button sits in the collapsed menu, hidden until it opens.
    sign_out = page.get_by_role("button", name="Sign out", exact=True, include_hidden=True)
    expect(sign_out).to_be_attached()


def test_every_page_is_walked():
    walked = {walk.url_name for walk in WALKS.values()}
    assert walked.isdisjoint(NOT_PAGES), walked & set(NOT_PAGES)
    assert url_names() - walked - set(NOT_PAGES) == set(), "add these pages to WALKS"
    assert walked <= url_names(), "WALKS names a URL that is gone"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(WALKS))
def test_page_reflows_without_sideways_scrolling(at_width, world, name, width):
    walk = WALKS[name]
    page = at_width(width)
    if walk.who:
        sign_in(page, world.users[walk.who])
    walk.arrive(page, world)
    for selector in walk.ready:
        expect(page.locator(selector)).to_be_attached()
    expect(page.locator('link[rel="icon"][href$=".svg"]')).to_have_count(1)

    found = page.evaluate(MEASURE_OVERFLOW)
    assert found["scrollWidth"] <= found["innerWidth"] and not found["problems"], (
        f"{name} at {width} px: the page is {found['scrollWidth']} px wide in a"
        f" {found['innerWidth']} px window\n  " + "\n  ".join(found["problems"])
    )
    violations = blocking_violations(page)
    assert not violations, describe(violations, page)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("width", (576, 768, 992, 1200, 1400, 1920))
def test_the_header_fits_at_each_breakpoint(at_width, world, width):
    # The admin has the most links; the practice and the admin have long names.
    page = at_width(width)
    sign_in(page, world.users["admin"])

    found = page.evaluate(MEASURE_OVERFLOW)
    assert found["scrollWidth"] <= found["innerWidth"] and not found["problems"], found
