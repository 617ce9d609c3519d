"""The audit review page, the append-only trail in the database, and no note text in it."""

import csv
import datetime
import io
import json
import logging

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from clients.models import RecordSection, SessionNote
from recovery.models import AppendOnlyError, AuditAction, AuditEvent, Role
from recovery.services import audit
from tests.factories import ClientFactory, SessionNoteFactory, UserFactory

UTC = datetime.UTC
NOW = datetime.datetime(2026, 4, 6, 15, 0, tzinfo=UTC)
AUDIT_URL = "/audit/"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def event_at(at: datetime.datetime, **fields) -> AuditEvent:
    with time_machine.travel(at, tick=False):
        return audit(**fields)


def rows_of(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


# --- Who may see it --------------------------------------------------------------------------


def test_audit_page_is_not_found_for_a_therapist(as_user, therapist):
    assert as_user(therapist).get(AUDIT_URL).status_code == 404
    assert as_user(therapist).get(AUDIT_URL, {"format": "csv"}).status_code == 404


def test_audit_page_needs_a_sign_in(client):
    response = client.get(AUDIT_URL)

    assert response.status_code == 302 and "sign-in" in response["Location"]


@pytest.mark.parametrize("who", ["manager", "practice_admin"])
def test_managers_and_admins_see_the_audit_page_linked_in_the_navbar(request, as_user, who):
    browser = as_user(request.getfixturevalue(who))

    assert browser.get(AUDIT_URL).status_code == 200
    assert f'href="{AUDIT_URL}"' in browser.get(reverse("clients:caseload")).content.decode()


def test_a_therapist_has_no_audit_link(as_user, therapist):
    page = as_user(therapist).get(reverse("clients:caseload")).content.decode()

    assert f'href="{AUDIT_URL}"' not in page


def test_the_trail_shows_only_the_users_practice_newest_first(
    as_user, manager, therapist, client_record, outsider
):
    elsewhere = ClientFactory(
        primary_therapist=UserFactory(practice=outsider.practice), preferred_name="Faraway"
    )
    event_at(
        NOW - datetime.timedelta(days=2),
        action=AuditAction.VIEW,
        actor=therapist,
        client=client_record,
    )
    event_at(
        NOW - datetime.timedelta(days=1),
        action=AuditAction.UPDATE,
        actor=therapist,
        client=client_record,
    )
    event_at(NOW, action=AuditAction.VIEW, actor=outsider, client=elsewhere)

    response = as_user(manager).get(AUDIT_URL)

    events = [event for event in response.context["page"] if event.actor != manager]
    assert [event.action for event in events] == [AuditAction.UPDATE, AuditAction.VIEW]
    assert "Faraway" not in response.content.decode()
    assert all(event.practice_id == manager.practice_id for event in events)


def test_the_trail_is_paginated(as_user, manager, therapist, client_record):
    for minute in range(55):
        event_at(
            NOW - datetime.timedelta(minutes=minute),
            action=AuditAction.VIEW,
            actor=therapist,
            client=client_record,
        )
    browser = as_user(manager)

    first = browser.get(AUDIT_URL, {"action": "view"})
    second = browser.get(AUDIT_URL, {"action": "view", "page": "2"})

    assert len(first.context["page"]) == 50 and len(second.context["page"]) == 5
    assert "action=view&amp;page=2" in first.content.decode()
    assert browser.get(AUDIT_URL, {"page": "999"}).status_code == 200


# --- Filters ---------------------------------------------------------------------------------


@pytest.fixture
def trail(therapist, colleague, client_record, practice):
    other = ClientFactory(primary_therapist=colleague, preferred_name="Sam")
    return {
        "old_view": event_at(
            datetime.datetime(2026, 3, 1, 15, tzinfo=UTC),
            action=AuditAction.VIEW,
            actor=therapist,
            client=client_record,
        ),
        "sign": event_at(
            datetime.datetime(2026, 3, 20, 15, tzinfo=UTC),
            action=AuditAction.SIGN,
            actor=therapist,
            client=client_record,
        ),
        "colleague_view": event_at(
            datetime.datetime(2026, 4, 2, 15, tzinfo=UTC),
            action=AuditAction.VIEW,
            actor=colleague,
            client=other,
        ),
        "failed_login": event_at(
            datetime.datetime(2026, 4, 3, 15, tzinfo=UTC),
            action=AuditAction.LOGIN_FAILED,
            practice=practice,
            identifier="who@example.org",
        ),
    }


def shown(browser, **params) -> set[int]:
    """The events on the page, leaving out the viewer's own (signing in, looking up)."""
    response = browser.get(AUDIT_URL, params)
    assert response.status_code == 200
    viewer = response.wsgi_request.user
    return {event.pk for event in response.context["page"] if event.actor_id != viewer.pk}


def test_filters_by_user_client_action_and_dates(as_user, manager, trail, therapist, client_record):
    browser = as_user(manager)
    ids = {name: event.pk for name, event in trail.items()}

    assert shown(browser, user=therapist.pk) == {ids["old_view"], ids["sign"]}
    assert shown(browser, client=str(client_record.pk)) == {ids["old_view"], ids["sign"]}
    assert shown(browser, client="sa") == {ids["colleague_view"]}  # by name, any case
    assert shown(browser, action="view") >= {ids["old_view"], ids["colleague_view"]}
    assert ids["sign"] not in shown(browser, action="view")
    assert shown(browser, start="2026-03-20", end="2026-04-02") == {
        ids["sign"],
        ids["colleague_view"],
    }
    assert shown(browser, action="login_failed") == {ids["failed_login"]}


def test_the_user_filter_offers_only_staff_of_the_practice(as_user, manager, outsider, trail):
    browser = as_user(manager)

    response = browser.get(AUDIT_URL, {"user": outsider.pk})

    assert outsider.full_name not in response.content.decode()
    assert response.context["filters"].errors
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"start": "yesterday"},
        {"end": "2026-02-30"},
        {"action": "drop table"},
        {"user": "abc"},
        {"client": "x" * 500},
        {"client": "\x00"},
        {"client": "²"},  # a digit to str.isdigit, not to int()
        {"client": "9" * 40},
        {"page": "-1"},
        {"start": "0001-01-01", "end": "9999-12-31"},
    ],
)
def test_bad_filter_values_are_form_errors_not_500s(as_user, manager, trail, params):
    assert as_user(manager).get(AUDIT_URL, params).status_code == 200


def test_browsing_the_trail_is_not_audited_but_looking_up_a_client_is(
    as_user, manager, trail, client_record
):
    browser = as_user(manager)
    browser.get(AUDIT_URL)  # signed in (audited) before counting
    before = AuditEvent.objects.count()

    browser.get(AUDIT_URL)
    assert AuditEvent.objects.count() == before

    browser.get(AUDIT_URL, {"client": client_record.preferred_name})
    lookup = AuditEvent.objects.get(pk__gt=AuditEvent.objects.order_by("-id")[1].pk)
    assert (lookup.action, lookup.actor, lookup.client_id) == (
        AuditAction.VIEW,
        manager,
        client_record.pk,
    )


# --- Human words for records and actors ------------------------------------------------------


def test_records_are_named_in_words_without_their_contents(
    as_user, manager, therapist, client_record, outsider
):
    note = SessionNoteFactory(
        client=client_record,
        session_date=datetime.date(2026, 11, 3),
        sections={"data": "Private words", "assessment": "", "plan": ""},
    )
    audit(action=AuditAction.SIGN, actor=therapist, client=client_record, obj=note)
    therapist.full_name = "Theo B."
    therapist.save()
    audit(action=AuditAction.PASSWORD_CHANGED, actor=therapist, obj=therapist)
    # A note erased since (the trail outlives it), and a staff number from another practice.
    AuditEvent.objects.create(
        practice=client_record.practice,
        action=AuditAction.VIEW,
        client=client_record,
        object_type="clients.sessionnote",
        object_id="787",
    )
    AuditEvent.objects.create(
        practice=client_record.practice,
        action=AuditAction.VIEW,
        actor=therapist,
        object_type="recovery.user",
        object_id=str(outsider.pk),
    )
    audit(action=AuditAction.VIEW, actor=therapist, client=client_record)

    body = as_user(manager).get(AUDIT_URL).content.decode()

    assert "Session note of 3 Nov 2026" in body
    assert "Session note #787" in body
    assert "Staff member Theo B." in body
    assert f"Staff member #{outsider.pk}" in body
    assert outsider.full_name not in body
    assert f"Client record #{client_record.pk}" in body
    assert "clients.sessionnote" not in body and "recovery.user" not in body
    assert "Private words" not in body
    assert client_record.contact_email not in body


def test_the_clients_own_actions_are_named_as_theirs(as_user, manager, client_record, practice):
    own_page = audit(action=AuditAction.VIEW, client=client_record, by_client=True)
    # A row written before events recorded by_client: no staff actor, about the client.
    answered = audit(action=AuditAction.UPDATE, client=client_record)
    nobody = audit(action=AuditAction.LOGIN_FAILED, practice=practice)
    browser = as_user(manager)

    response = browser.get(AUDIT_URL)
    who = {event.pk: event.by_client_label for event in response.context["page"]}
    rows = {row["Action"]: row["Who"] for row in rows_of(browser.get(AUDIT_URL, {"format": "csv"}))}

    assert who[own_page.pk] == "The client"
    assert who[answered.pk] == "The client (by email link)"
    assert who[nobody.pk] == ""  # a sign-in event is never the client's
    body = response.content.decode()
    assert "<td>The client</td>" in body
    assert "<td>The client (by email link)</td>" in body
    assert rows["Viewed"] == "The client"
    assert rows["Updated"] == "The client (by email link)"
    assert rows["Failed sign-in"] == ""


# --- CSV export ------------------------------------------------------------------------------


def test_csv_export_has_the_filtered_rows_and_is_audited(
    as_user, manager, trail, therapist, client_record
):
    response = as_user(manager).get(AUDIT_URL, {"user": therapist.pk, "format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="audit-trail.csv"'
    assert "no-store" in response["Cache-Control"]
    rows = rows_of(response)
    assert [(row["Action"], row["Client"], row["Who"]) for row in rows] == [
        ("Signed", client_record.preferred_name, therapist.full_name),
        ("Viewed", client_record.preferred_name, therapist.full_name),
    ]
    assert rows[0]["When (UTC)"] == "2026-03-20 15:00:00"
    assert rows[0]["Client number"] == str(client_record.pk)
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=manager).count() == 1


def test_csv_cells_that_look_like_formulas_are_neutralised(as_user, manager, therapist, practice):
    sneaky = ClientFactory(primary_therapist=therapist, preferred_name='=HYPERLINK("http://x")')
    audit(action=AuditAction.VIEW, actor=therapist, client=sneaky)
    audit(action=AuditAction.LOGIN_FAILED, practice=practice, identifier="+1-555@x")

    rows = rows_of(as_user(manager).get(AUDIT_URL, {"format": "csv"}))

    assert {row["Client"] for row in rows} >= {'\'=HYPERLINK("http://x")'}
    assert {row["Sign-in name typed"] for row in rows} >= {"'+1-555@x"}


# --- Query counts do not grow with the trail -------------------------------------------------


def fill_trail(practice, count: int) -> None:
    """Rows of each kind the page names in words: notes, staff, clients, the client's own."""
    staff = [UserFactory(practice=practice) for _ in range(3)]
    clients = [ClientFactory(primary_therapist=staff[i % 3]) for i in range(5)]
    for i in range(count):
        client, actor = clients[i % 5], staff[i % 3]
        if i % 4 == 0:
            note = SessionNoteFactory(client=client, author=client.primary_therapist)
            audit(action=AuditAction.VIEW, actor=client.primary_therapist, client=client, obj=note)
        elif i % 4 == 1:
            audit(action=AuditAction.LOGIN, actor=actor, obj=actor)
        elif i % 4 == 2:
            audit(action=AuditAction.UPDATE, client=client)
        else:
            audit(action=AuditAction.VIEW, actor=actor, client=client)


@pytest.mark.parametrize("params", [{}, {"format": "csv"}], ids=["page", "csv"])
def test_query_count_does_not_grow_with_the_trail(
    as_user, manager, practice, django_assert_max_num_queries, params
):
    browser = as_user(manager)

    def load():
        response = browser.get(AUDIT_URL, params)
        if params:
            rows_of(response)
        return response

    fill_trail(practice, 10)
    load()  # warm the session and caches
    with django_assert_max_num_queries(100) as small:
        load()
    fill_trail(practice, 300)
    with django_assert_max_num_queries(len(small.captured_queries)):
        load()


# --- Append-only -----------------------------------------------------------------------------


@pytest.fixture
def event(therapist, client_record):
    return audit(action=AuditAction.VIEW, actor=therapist, client=client_record)


def test_the_orm_refuses_to_change_or_remove_an_audit_event(event):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.DELETE)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    event.action = AuditAction.DELETE
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.VIEW


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's"
)


@postgres_only
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE recovery_auditevent SET action = 'delete' WHERE id = %s",
        "UPDATE recovery_auditevent SET actor_id = NULL, client_id = NULL WHERE id = %s",
        "DELETE FROM recovery_auditevent WHERE id = %s",
    ],
)
def test_postgres_refuses_raw_sql_that_changes_or_removes_an_audit_event(event, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])

    row = AuditEvent.objects.filter(pk=event.pk).values("action", "actor_id", "client_id").get()
    assert row == {"action": "view", "actor_id": event.actor_id, "client_id": event.client_id}


@postgres_only
def test_postgres_refuses_deleting_the_whole_trail(event):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM recovery_auditevent")

    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- No note text in the trail or the logs ---------------------------------------------------

MARKER = "Quokka-marker-7Z3"


def test_no_note_text_reaches_audit_rows_or_logs(
    as_user, therapist, practice_admin, client_record, caplog, capfd
):
    """Write notes through every view that carries their text, then look for the text in
    every audit row and everything logged (SQL included)."""
    # Every logger at DEBUG, not only the root: Django's own loggers stop at INFO otherwise.
    for name in [None, *logging.root.manager.loggerDict]:
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True  # django.db.backends logs each query at DEBUG
    try:
        clinician = as_user(therapist)
        autosave = clinician.post(
            reverse("clients:note_autosave", args=[client_record.pk]),
            {
                "session_date": "2026-04-06",
                "duration_minutes": "50",
                "format": "dap",
                "section_data": f"Client said {MARKER} in the autosave.",
                "section_assessment": "",
                "section_plan": "",
                "stage_of_change": "contemplation",
                "next_steps": f"Next: {MARKER}",
            },
            HTTP_HX_REQUEST="true",
        )
        assert autosave.status_code == 200
        note = SessionNote.objects.get()
        note_url = reverse("clients:note", args=[client_record.pk, note.pk])
        signed = clinician.post(
            note_url,
            {
                "note_id": str(note.pk),
                "version": "1",
                "session_date": "2026-04-06",
                "duration_minutes": "50",
                "format": "dap",
                "section_data": f"Final text with {MARKER}.",
                "section_assessment": f"Assessment {MARKER}",
                "section_plan": f"Plan {MARKER}",
                "stage_of_change": "contemplation",
                "next_steps": f"Next: {MARKER}",
                "action": "sign",
            },
        )
        assert signed.status_code == 302
        addendum = clinician.post(
            reverse("clients:note_addendum", args=[client_record.pk, note.pk]),
            {"text": f"Addendum {MARKER}"},
        )
        assert addendum.status_code == 302
        assert MARKER in clinician.get(note_url).content.decode()
        admin = as_user(practice_admin)
        export = {
            "recipient": "The client",
            "purpose": "Own copy",
            "sections": RecordSection.values,
        }
        exported = admin.post(
            reverse("clients:record_export", args=[client_record.pk]), {**export, "format": "json"}
        )
        printed = admin.post(
            reverse("clients:record_export", args=[client_record.pk]),
            {**export, "format": "html"},
            follow=True,
        )
    finally:
        connection.force_debug_cursor = False

    # The text really went through: it is in the note, the addendum and both exports.
    note.refresh_from_db()
    assert note.is_signed and MARKER in note.sections["data"]
    assert MARKER in json.dumps(json.loads(exported.content))
    assert MARKER in printed.content.decode()
    assert any(r.name == "django.db.backends" for r in caplog.records)  # SQL was captured
    # ... and never into the trail or the logs.
    trail = list(AuditEvent.objects.values())
    assert {row["action"] for row in trail} >= {"create", "update", "sign", "export", "disclose"}
    for row in trail:
        assert MARKER not in repr(row)
    assert MARKER not in caplog.text
    for record in caplog.records:
        assert MARKER not in record.getMessage()
        assert MARKER not in repr(getattr(record, "args", ""))
    out, err = capfd.readouterr()
    assert MARKER not in out and MARKER not in err


def test_a_manager_of_another_practice_sees_none_of_this_trail(as_user, outsider, trail):
    response = as_user(outsider).get(AUDIT_URL)

    assert outsider.role == Role.MANAGER
    assert {event.actor for event in response.context["page"]} <= {outsider}
    assert shown(as_user(outsider), client=str(trail["sign"].client_id)) == set()


def test_dates_are_days_of_the_practice_time_zone_and_the_ends_of_time_do_not_overflow(
    as_user, manager, practice, therapist, client_record
):
    practice.time_zone = "Asia/Tokyo"  # UTC+9: its 1 January of year 1 starts before year 1
    practice.save()
    late = event_at(
        datetime.datetime(2026, 4, 5, 16, tzinfo=UTC),  # 6 April, 01:00 in Tokyo
        action=AuditAction.VIEW,
        actor=therapist,
        client=client_record,
    )
    browser = as_user(manager)

    assert shown(browser, start="2026-04-06", end="2026-04-06") == {late.pk}
    assert shown(browser, end="2026-04-05") == set()
    assert shown(browser, start="0001-01-01", end="9999-12-31") == {late.pk}
