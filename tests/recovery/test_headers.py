"""Security headers: the Content Security Policy and its nonces, no inline code in any page,
the other security headers, and `Cache-Control: no-store` wherever client data shows."""

import datetime
import json
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.test import Client as Browser
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from clients.models import Addendum, NoteStatus, Reminder, ReminderKind, SessionNote
from clients.tokens import Purpose, make_token
from recovery.headers import NoStoreMiddleware
from tests.factories import (
    MeetingFactory,
    MeetingPlanFactory,
    NoteThemeFactory,
    SessionNoteFactory,
)

EXPECTED_DIRECTIVES = {
    "default-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "report-uri": ["/csp-report/"],
}
TOKEN_PURPOSES = {
    "responses:answer": Purpose.ANSWER,
    "responses:unsubscribe": Purpose.UNSUBSCRIBE,
    "responses:join": Purpose.JOIN,
}


def directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


class PageScan(HTMLParser):
    """Collects everything in a page that a policy without 'unsafe-inline' would refuse."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.script_nonces: list[str | None] = []
        self.script_sources: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>: {value}")
            if name.startswith("on") or re.match(r"(data-)?hx-on", name):
                self.problems.append(f"handler attribute {name} on <{tag}>")
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL in <{tag} {name}>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            if "src" in attributes:
                self.script_nonces.append(attributes.get("nonce"))
                self.script_sources.append(attributes["src"])
            elif attributes.get("type") != "application/json":  # json_script's data, not code
                self._in_inline_script = True

    def handle_endtag(self, tag):
        if tag == "script" and self._in_inline_script:
            self.problems.append("inline <script> code")
            self._in_inline_script = False


def scan(response) -> PageScan:
    page = PageScan()
    page.feed(response.content.decode())
    return page


def url_patterns(patterns=None, namespace=""):
    """(name, parameter names) of every named URL pattern of the project."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", sorted(pattern.pattern.converters)


@pytest.fixture
def records(therapist, client_record):
    """One of everything a page can be about, in the therapist's caseload."""
    note = SessionNoteFactory(client=client_record, next_steps="Call a sponsor")
    NoteThemeFactory(note=note)  # the client page then draws its theme chart
    SessionNote.objects.filter(pk=note.pk).update(
        status=NoteStatus.SIGNED, signed_at=timezone.now(), signed_by=therapist
    )
    Addendum.objects.create(note=note, author=therapist, text="Corrected the date")
    meeting = MeetingFactory(conference_url="https://meet.example.org/j/123")
    plan = MeetingPlanFactory(client=client_record, meeting=meeting)
    start = timezone.now() - datetime.timedelta(days=1)
    reminder = Reminder.objects.create(
        plan=plan, occurrence_start=start, kind=ReminderKind.CHECKIN, due_at=start
    )
    return {
        "pk": client_record.pk,
        "note_pk": note.pk,
        "meeting_pk": meeting.pk,
        "plan_pk": plan.pk,
        "reminder": reminder,
    }


def project_urls(records) -> tuple[dict[str, str], list[str]]:
    """The address of every GET-able URL pattern outside the admin, with real ids; and the
    names of the patterns this walk cannot fill in (new parameters need a line here)."""
    urls, unknown = {}, []
    for name, params in url_patterns():
        if name.startswith("admin:"):
            continue
        if name in TOKEN_PURPOSES:
            kwargs = {"token": make_token(TOKEN_PURPOSES[name], records["reminder"].pk)}
        elif set(params) <= records.keys():
            kwargs = {param: records[param] for param in params}
            if name.startswith("groups:"):  # the catalogue's pk is a meeting's
                kwargs = dict.fromkeys(params, records["meeting_pk"])
        else:
            unknown.append(name)
            continue
        urls[name] = reverse(name, kwargs=kwargs)
    return urls, unknown


# --- Content Security Policy ------------------------------------------------------------------


def test_policy_has_every_directive_and_nothing_unsafe(as_user, therapist):
    response = as_user(therapist).get(reverse("clients:caseload"))
    assert response.status_code == 200
    policy = directives(response)
    for name, values in EXPECTED_DIRECTIVES.items():
        assert policy[name] == values, name
    assert policy["script-src"][0] == "'self'"
    assert re.fullmatch(r"'nonce-[A-Za-z0-9+/=]{24}'", policy["script-src"][1])
    assert len(policy["script-src"]) == 2
    header = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header


def test_each_request_gets_its_own_nonce_and_every_script_carries_it(as_user, therapist, records):
    browser = as_user(therapist)
    nonces = []
    for _ in range(2):
        response = browser.get(reverse("clients:detail", args=[records["pk"]]))
        nonce = directives(response)["script-src"][1].removeprefix("'nonce-").removesuffix("'")
        page = scan(response)
        # Bootstrap, htmx, Chart.js and the theme chart (at least): all with this nonce.
        sources = " ".join(page.script_sources)
        for script in ["bootstrap.bundle", "htmx.min", "chart.umd", "theme-chart"]:
            assert script in sources
        assert set(page.script_nonces) == {nonce}
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


@pytest.mark.parametrize("role", ["therapist", "manager", "practice_admin"])
def test_no_page_has_inline_code_or_styles(request, role, records):
    browser = Browser()
    browser.force_login(request.getfixturevalue(role))
    urls, _unknown = project_urls(records)
    pages = 0
    for name, url in urls.items():
        response = browser.get(url)
        if response.status_code != 200 or "html" not in response.headers["Content-Type"]:
            continue
        page = scan(response)
        assert page.problems == [], f"{name} ({url}) as {role}"
        if page.script_nonces:
            nonce = directives(response)["script-src"][1]
            assert {f"'nonce-{n}'" for n in page.script_nonces} == {nonce}, name
        pages += 1
    assert pages >= 5, f"only {pages} pages rendered for {role}"


def test_every_main_page_was_walked(as_user, therapist, records):
    # The walk above must reach the pages that matter, not only whatever happens to answer.
    browser = as_user(therapist)
    urls, unknown = project_urls(records)
    rendered = {name for name, url in urls.items() if browser.get(url).status_code == 200}
    assert {
        "clients:caseload",
        "clients:add",
        "clients:dashboard",
        "clients:detail",
        "clients:edit",
        "clients:note_new",
        "clients:note",
        "clients:meetings",
        "clients:meeting",
        "clients:reminders",
        "groups:list",
        "groups:detail",
        "responses:answer",
        "responses:unsubscribe",
    } <= rendered, sorted(rendered)
    assert "clients:detail" not in unknown


def test_pages_without_a_login_have_no_inline_code(client, records):
    for url in [
        reverse("login"),
        reverse("responses:answer", args=[make_token(Purpose.ANSWER, records["reminder"].pk)]),
        reverse("responses:answer", args=["not-a-token"]),
    ]:
        response = client.get(url)
        assert scan(response).problems == [], url
        assert "Content-Security-Policy" in response.headers


def test_htmx_is_configured_for_the_policy(as_user, therapist):
    response = as_user(therapist).get(reverse("clients:caseload"))
    html = response.content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', html)
    assert config, "base.html lost its htmx-config"
    assert json.loads(config.group(1)) | {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "historyCacheSize": 0,
    } == json.loads(config.group(1))
    css = (settings.BASE_DIR / "static/css/app.css").read_text()
    assert ".htmx-indicator" in css


# --- Other security headers -------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_security_headers_on_every_response(client, as_user, therapist, signed_in):
    browser = as_user(therapist) if signed_in else client
    response = browser.get(reverse("clients:caseload") if signed_in else reverse("login"))
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    features = dict(
        item.strip().split("=") for item in response.headers["Permissions-Policy"].split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics"):
        assert features[feature] == "()", feature


# Features Chromium (156, Debian's) answers with "Error with Permissions-Policy header:
# Unrecognized feature" in the console; tests/e2e/test_permissions_policy.py checks the
# whole header in the browser itself.
CHROMIUM_UNRECOGNISED = {"ambient-light-sensor", "battery", "bluetooth", "document-domain", "vr"}


def test_the_permissions_policy_names_no_feature_chromium_warns_about(client):
    header = client.get(reverse("login")).headers["Permissions-Policy"]
    features = {item.strip().split("=")[0] for item in header.split(",")}
    assert features and not features & CHROMIUM_UNRECOGNISED


# --- Cache-Control: no-store ------------------------------------------------------------------


def test_every_response_to_a_signed_in_therapist_is_no_store(as_user, therapist, records):
    browser = as_user(therapist)
    urls, _unknown = project_urls(records)
    urls["missing"] = "/clients/999999/"
    urls["admin"] = reverse("admin:index")
    for name, url in urls.items():
        response = browser.get(url)
        assert "no-store" in response.headers.get("Cache-Control", ""), f"{name} {url}"


def test_reminder_link_pages_are_no_store_without_a_login(client, records):
    reminder = records["reminder"]
    for name, purpose in TOKEN_PURPOSES.items():
        response = client.get(reverse(name, args=[make_token(purpose, reminder.pk)]))
        assert "no-store" in response.headers.get("Cache-Control", ""), name
    bad = client.get(reverse("responses:answer", args=["forged"]))
    assert "no-store" in bad.headers["Cache-Control"]


def no_store_middleware_response(path: str, user) -> HttpResponse:
    request = RequestFactory().get(path)
    request.user = user
    try:
        request.resolver_match = resolve(path)
    except Exception:  # noqa: BLE001 - a static file's path resolves to no view
        request.resolver_match = None
    return NoStoreMiddleware(lambda request: HttpResponse("body"))(request)


def test_middleware_marks_reminder_pages_even_without_the_views_own_decorator(db):
    from django.contrib.auth.models import AnonymousUser

    response = no_store_middleware_response("/r/a/some-token/", AnonymousUser())
    assert "no-store" in response.headers["Cache-Control"]


def test_middleware_leaves_pages_without_client_data_alone(db):
    from django.contrib.auth.models import AnonymousUser

    response = no_store_middleware_response("/no-such-page/", AnonymousUser())
    assert "Cache-Control" not in response.headers


def test_static_files_are_not_no_store_even_for_a_signed_in_user(therapist):
    response = no_store_middleware_response(f"{settings.STATIC_URL}css/app.css", therapist)
    assert "Cache-Control" not in response.headers


def test_the_csrf_failure_page_has_no_inline_styles(records):
    browser = Browser(enforce_csrf_checks=True)
    token = make_token(Purpose.ANSWER, records["reminder"].pk)
    response = browser.post(reverse("responses:answer", args=[token]), {"status": "attended"})
    assert response.status_code == 403
    assert "Please try again" in response.content.decode()
    assert scan(response).problems == []


def test_admin_pages_have_no_inline_code_or_styles(as_user, practice_admin, records):
    browser = as_user(practice_admin)
    urls = [reverse("admin:index"), reverse("admin:clients_client_change", args=[records["pk"]])]
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
    rendered = 0
    for url in urls:
        response = browser.get(url)
        if response.status_code != 200:  # an add page the admin may not use, say
            continue
        assert scan(response).problems == [], url
        rendered += 1
    assert rendered >= 5
