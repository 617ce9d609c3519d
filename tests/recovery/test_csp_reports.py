"""The Content Security Policy's report address: what a browser reports is logged without
client data or tokens, once a minute per violation, and nothing else gets in."""

import datetime
import json
import logging

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client as Browser
from django.urls import reverse

from clients.tokens import Purpose, make_token
from tests.conftest import signed_in

URL = "/csp-report/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def logged(caplog):
    caplog.set_level(logging.WARNING, logger="recovery.csp")

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "recovery.csp"]

    return lines


def legacy_report(**fields) -> dict:
    """The `report-uri` format Chromium and Firefox post as application/csp-report."""
    report = {
        "document-uri": "https://rb.example/clients/42/notes/7/?q=Riley",
        "referrer": "",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": "default-src 'self'",
        "disposition": "enforce",
        "blocked-uri": "https://evil.example:8443/steal.js?client=Riley",
        "status-code": 200,
        "script-sample": "alert('Riley')",
    }
    report.update(fields)
    return {"csp-report": report}


def post(body, content_type="application/csp-report", browser=None):
    browser = browser or Browser(enforce_csrf_checks=True)
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return browser.post(URL, data, content_type=content_type)


def test_the_policy_names_the_report_address(client):
    policy = client.get(reverse("login")).headers["Content-Security-Policy"]
    assert policy.endswith(f"report-uri {reverse('csp_report')}")
    assert reverse("csp_report") == URL


def test_a_report_is_logged_by_page_name_and_origin_without_csrf_token(db, logged):
    response = post(legacy_report())

    assert response.status_code == 204
    [line] = logged()
    assert line == (
        "Content Security Policy violation: script-src-elem blocked https://evil.example:8443 "
        "on clients:note (enforced)"
    )
    for secret in ("Riley", "42", "steal.js", "alert"):
        assert secret not in line


def test_a_reminder_links_token_never_reaches_the_log(db, logged):
    token = make_token(Purpose.ANSWER, 1234)
    post(legacy_report(**{"document-uri": f"https://rb.example/r/a/{token}/"}))
    post(
        legacy_report(
            **{"document-uri": f"https://rb.example{reverse('responses:answer', args=[token])}"}
        )
    )

    lines = logged()
    assert lines, "nothing was logged"
    assert all(token not in line and "1234" not in line for line in lines)
    assert any("on responses:answer" in line for line in lines)


def test_the_reporting_api_format_is_read_too(db, logged):
    body = [
        {
            "type": "csp-violation",
            "url": "https://rb.example/clients/",
            "body": {
                "documentURL": "https://rb.example/clients/",
                "effectiveDirective": "style-src-attr",
                "blockedURL": "inline",
                "disposition": "report",
            },
        },
        {"type": "deprecation", "body": {"message": "ignored"}},
    ]
    assert post(body, content_type="application/reports+json").status_code == 204
    assert logged() == [
        "Content Security Policy violation: style-src-attr blocked inline "
        "on clients:caseload (report only)"
    ]


def test_the_same_violation_is_logged_once_a_minute(db, logged):
    for _ in range(5):
        assert post(legacy_report()).status_code == 204
    post(legacy_report(**{"blocked-uri": "data"}))
    assert len(logged()) == 2


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"effective-directive": "script-src\nINFO forged line"}, "unknown blocked"),
        ({"blocked-uri": "https://ev il.example/\n"}, "blocked https: on"),
        ({"blocked-uri": "javascript:alert(1)"}, "blocked javascript: on"),
        ({"blocked-uri": "\x1b[31mred"}, "blocked unknown on"),
        ({"blocked-uri": "http://[::1"}, "blocked unknown on"),
        ({"document-uri": "http://[::1"}, "on another page"),
        ({"document-uri": "https://rb.example/no/such/page/"}, "on another page"),
        ({"document-uri": 7, "blocked-uri": ["x"], "disposition": None}, "unknown on another"),
    ],
)
def test_what_a_report_can_put_in_the_log_is_fixed_vocabulary(db, logged, fields, expected):
    assert post(legacy_report(**fields)).status_code == 204
    [line] = logged()
    assert expected in line
    assert "\n" not in line and "\x1b" not in line and "forged" not in line


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (legacy_report(), "text/plain", 415),
        (b"{not json", "application/csp-report", 400),
        (b"\xff\xfe", "application/csp-report", 400),
        ({"something": "else"}, "application/csp-report", 400),
        ([{"type": "deprecation", "body": {}}], "application/reports+json", 400),
        (b"[" + b" " * 20_000 + b"]", "application/csp-report", 413),
        (b"[" * 8000 + b"]" * 8000, "application/csp-report", 400),  # too deep to decode
    ],
)
def test_anything_else_is_refused_and_logs_nothing(db, logged, body, content_type, status):
    assert post(body, content_type=content_type).status_code == status
    assert logged() == []


def test_only_post(client):
    assert client.get(URL).status_code == 405


def test_a_signed_in_person_half_way_through_two_factor_still_reports(settings, therapist, logged):
    settings.REQUIRE_2FA = True  # the therapist has not set it up: every page sends them there
    browser = signed_in(therapist, verified=False)
    assert browser.get(reverse("clients:caseload")).status_code in (302, 403)

    assert post(legacy_report(), browser=browser).status_code == 204
    assert len(logged()) == 1


def test_a_flood_of_different_reports_logs_at_most_a_hundred_a_minute(db, logged):
    minute = datetime.datetime(2026, 11, 27, 12, 0, 5, tzinfo=datetime.UTC)
    with time_machine.travel(minute, tick=False):  # all in one minute
        for index in range(130):
            post(legacy_report(**{"blocked-uri": f"https://x{index}.attacker.example/a.js"}))
    assert len(logged()) == 100
    with time_machine.travel(minute + datetime.timedelta(minutes=1), tick=False):
        post(legacy_report(**{"blocked-uri": "https://next-minute.example/a.js"}))
    assert len(logged()) == 101
