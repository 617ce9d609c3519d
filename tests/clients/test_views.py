"""The caseload and client pages: scope, audit, note privacy, constant query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.services import outcome_measure_store
from groups.models import Program
from recovery.models import AuditAction, AuditEvent
from tests.factories import (
    AttendanceFactory,
    ClientFactory,
    LadderMoveFactory,
    MeetingFactory,
    MeetingPlanFactory,
    NoteThemeFactory,
    SessionNoteFactory,
)

NOTE_TEXT = "Talked about the shame of being seen at a meeting"


@pytest.fixture
def note(client_record):
    return SessionNoteFactory(
        client=client_record, sections={"data": NOTE_TEXT, "assessment": "", "plan": ""}
    )


def detail_url(client) -> str:
    return reverse("clients:detail", args=[client.pk])


def test_owner_reads_the_client_page_with_note_text(as_user, therapist, client_record, note):
    response = as_user(therapist).get(detail_url(client_record))
    assert response.status_code == 200
    assert NOTE_TEXT in response.content.decode()


def test_every_read_of_a_client_page_is_audited(as_user, therapist, client_record):
    browser = as_user(therapist)
    browser.get(detail_url(client_record))
    browser.get(detail_url(client_record))
    events = AuditEvent.objects.filter(action=AuditAction.VIEW, client=client_record)
    assert events.count() == 2
    assert {e.actor for e in events} == {therapist}


def test_colleague_therapist_gets_404_and_no_audit_of_a_read(as_user, colleague, client_record):
    assert as_user(colleague).get(detail_url(client_record)).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW).exists()


def test_manager_sees_the_header_but_never_note_text(as_user, manager, client_record, note):
    response = as_user(manager).get(detail_url(client_record))
    assert response.status_code == 200
    body = response.content.decode()
    assert client_record.preferred_name in body
    assert NOTE_TEXT not in body
    assert "visible to the client's therapist only" in body


def test_outsider_gets_404(as_user, outsider, client_record):
    assert as_user(outsider).get(detail_url(client_record)).status_code == 404


def test_anonymous_is_redirected_to_sign_in(client, client_record):
    response = client.get(detail_url(client_record))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("path", ["/clients/999999999/", "/clients/abc/", "/clients/-1/"])
def test_tampered_ids_in_urls_get_404(as_user, therapist, client_record, path):
    assert as_user(therapist).get(path).status_code == 404


def test_html_typed_into_a_note_is_shown_as_text(as_user, therapist, client_record):
    SessionNoteFactory(
        client=client_record,
        sections={"data": "<script>alert(1)</script>", "assessment": "", "plan": ""},
    )
    body = as_user(therapist).get(detail_url(client_record)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_caseload_shows_only_the_therapists_own_clients(as_user, therapist, colleague):
    mine = ClientFactory(primary_therapist=therapist, preferred_name="Mine")
    ClientFactory(primary_therapist=colleague, preferred_name="Theirs")
    body = as_user(therapist).get(reverse("clients:caseload")).content.decode()
    assert mine.preferred_name in body
    assert "Theirs" not in body


def test_caseload_search_by_name(as_user, therapist):
    ClientFactory(primary_therapist=therapist, preferred_name="Alexis")
    ClientFactory(primary_therapist=therapist, preferred_name="Bernard")
    body = as_user(therapist).get(reverse("clients:caseload"), {"q": "alex"}).content.decode()
    assert "Alexis" in body
    assert "Bernard" not in body


def test_caseload_survives_a_bad_page_number(as_user, therapist):
    response = as_user(therapist).get(reverse("clients:caseload"), {"page": "9999'"})
    assert response.status_code == 200


def _populate(therapist, count: int) -> None:
    for _ in range(count):
        client = ClientFactory(primary_therapist=therapist)
        LadderMoveFactory(client=client, step=2)
        NoteThemeFactory(note=SessionNoteFactory(client=client))
        MeetingPlanFactory(client=client)


@pytest.mark.parametrize("size", [10, 200])
def test_caseload_query_count_does_not_grow_with_clients(
    as_user, therapist, size, django_assert_max_num_queries
):
    _populate(therapist, size)
    browser = as_user(therapist)
    with django_assert_max_num_queries(10):
        response = browser.get(reverse("clients:caseload"))
    assert response.status_code == 200
    assert response.content.decode().count("None planned") == 0  # every row found its meeting


def _client_page_queries(browser, client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(detail_url(client)).status_code == 200
    return len(queries)


def test_client_page_query_count_does_not_grow_with_history(as_user, therapist, client_record):
    browser = as_user(therapist)
    MeetingFactory(program=Program.objects.get(key="SMART"), types=["O", "BE"])

    def add_history(count: int) -> None:
        for _ in range(count):
            NoteThemeFactory(note=SessionNoteFactory(client=client_record))
            LadderMoveFactory(client=client_record)
            plan = MeetingPlanFactory(client=client_record)
            AttendanceFactory(
                plan=plan,
                status="attended",
                reported_by="therapist",
                reported_by_user=therapist,
                reported_at=timezone.now(),
            )
            outcome_measure_store(
                client=client_record,
                instrument="gad7",
                responses={str(n): 1 for n in range(1, 8)},
                administered_on=timezone.localdate(),
                source="therapist",
                entered_by=therapist,
            )

    add_history(2)
    small = _client_page_queries(browser, client_record)
    add_history(15)
    large = _client_page_queries(browser, client_record)
    assert small == large
    # One reads every outcome measure for the charts; one what the client changed on their page.
    assert large <= 26
