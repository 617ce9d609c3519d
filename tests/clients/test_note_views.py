"""Session-note pages: drafts, signing, read-only signed notes, addenda, htmx fragments."""

import datetime

import pytest
from django.urls import reverse

from clients.models import NoteStatus, ResistanceTheme, SessionNote
from clients.services import MAX_SECTION_CHARS, session_note_sign
from recovery.models import AuditAction, AuditEvent
from tests.factories import SessionNoteFactory

TODAY = datetime.date(2026, 11, 24)


@pytest.fixture
def theme():
    return ResistanceTheme.objects.get(practice=None, slug="fear-of-judgment")


def note_data(**overrides) -> dict:
    data = {
        "session_date": TODAY.isoformat(),
        "duration_minutes": "50",
        "format": "dap",
        "section_data": "Said groups are for people 'worse off'.",
        "section_assessment": "Contemplation; curious about online options.",
        "section_plan": "Look at one online meeting together.",
        "stage_of_change": "contemplation",
        "next_steps": "Listen to one online meeting, camera off.",
        "action": "save",
    }
    data.update(overrides)
    return data


def new_url(client) -> str:
    return reverse("clients:note_new", args=[client.pk])


def note_url(note) -> str:
    return reverse("clients:note", args=[note.client_id, note.pk])


def test_new_note_form_offers_the_formats_sections_and_themes(as_user, therapist, client_record):
    body = as_user(therapist).get(new_url(client_record)).content.decode()
    assert 'name="section_data"' in body
    assert 'name="theme_' in body
    assert "Fear of judgment or labels" in body


def test_saving_a_draft_keeps_text_and_themes(as_user, therapist, client_record, theme):
    response = as_user(therapist).post(
        new_url(client_record), note_data(**{f"theme_{theme.pk}": "3"})
    )
    note = SessionNote.objects.get()
    assert response.status_code == 302
    assert response.url == note_url(note)
    assert note.status == NoteStatus.DRAFT
    assert note.sections["data"] == "Said groups are for people 'worse off'."
    assert [(nt.theme, nt.intensity) for nt in note.note_themes.all()] == [(theme, 3)]


def test_save_and_sign_in_one_step(as_user, therapist, client_record):
    response = as_user(therapist).post(new_url(client_record), note_data(action="sign"))
    assert response.status_code == 302
    note = SessionNote.objects.get()
    assert note.status == NoteStatus.SIGNED
    assert AuditEvent.objects.filter(action=AuditAction.SIGN, object_id=str(note.pk)).exists()


EMPTY_SECTIONS = {"section_data": "", "section_assessment": "  ", "section_plan": ""}


def test_signing_an_empty_new_note_is_a_form_error_and_leaves_no_draft(
    as_user, therapist, client_record
):
    response = as_user(therapist).post(
        new_url(client_record), note_data(action="sign", **EMPTY_SECTIONS)
    )
    assert response.status_code == 400
    assert "An empty note cannot be signed" in response.content.decode()
    assert not SessionNote.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CREATE).exists()


def test_signing_a_draft_emptied_in_the_form_keeps_the_saved_draft(
    as_user, therapist, client_record
):
    note = SessionNoteFactory(client=client_record)
    saved_sections = dict(note.sections)
    response = as_user(therapist).post(
        note_url(note), note_data(action="sign", version="1", **EMPTY_SECTIONS)
    )
    assert response.status_code == 400
    assert "An empty note cannot be signed" in response.content.decode()
    note.refresh_from_db()
    assert note.status == NoteStatus.DRAFT
    assert note.sections == saved_sections
    assert note.version == 1


def test_form_errors_keep_everything_typed(as_user, therapist, client_record):
    response = as_user(therapist).post(
        new_url(client_record), note_data(session_date="not a date", duration_minutes="0")
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "is-invalid" in body
    assert "Contemplation; curious about online options." in body
    assert not SessionNote.objects.exists()


def test_a_2mb_section_is_a_form_error_not_a_500(as_user, therapist, client_record):
    huge = "x" * (2 * 1024 * 1024)
    response = as_user(therapist).post(new_url(client_record), note_data(section_data=huge))
    assert response.status_code == 400
    assert f"{MAX_SECTION_CHARS:,}".replace(",", "") in response.content.decode().replace(",", "")
    assert not SessionNote.objects.exists()


def test_a_nul_byte_is_a_form_error(as_user, therapist, client_record):
    response = as_user(therapist).post(new_url(client_record), note_data(section_data="a\x00b"))
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()
    assert not SessionNote.objects.exists()


def test_markup_is_stored_as_typed_and_shown_as_text(as_user, therapist, client_record):
    browser = as_user(therapist)
    browser.post(new_url(client_record), note_data(section_data="<b>bold</b><script>x</script>"))
    note = SessionNote.objects.get()
    assert note.sections["data"] == "<b>bold</b><script>x</script>"
    body = browser.get(note_url(note)).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in body
    assert "<script>x</script>" not in body


def test_a_future_session_date_is_refused(as_user, therapist, client_record):
    response = as_user(therapist).post(new_url(client_record), note_data(session_date="2099-01-01"))
    assert response.status_code == 400
    assert not SessionNote.objects.exists()


def test_editing_a_draft_bumps_its_version(as_user, therapist, client_record):
    note = SessionNoteFactory(client=client_record)
    response = as_user(therapist).post(
        note_url(note), note_data(version="1", section_data="Revised")
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.sections["data"] == "Revised"
    assert note.version == 2


def test_a_stale_save_is_a_conflict_that_keeps_the_second_writers_text(
    as_user, therapist, client_record
):
    note = SessionNoteFactory(client=client_record)
    browser = as_user(therapist)
    browser.post(note_url(note), note_data(version="1", section_data="First tab"))
    response = browser.post(note_url(note), note_data(version="1", section_data="Second tab"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "saved elsewhere" in body
    assert "Second tab" in body  # what this person typed, still in the form
    assert "First tab" in body  # what the other save holds, shown beside it
    note.refresh_from_db()
    assert note.sections["data"] == "First tab"
    # Saving again from the conflict page is a deliberate overwrite.
    assert 'name="version" value="2"' in body


def test_a_signed_note_is_read_only(as_user, therapist, client_record):
    note = SessionNoteFactory(client=client_record)
    session_note_sign(actor=therapist, note=note)
    browser = as_user(therapist)
    body = browser.get(note_url(note)).content.decode()
    assert "<textarea" in body  # the addendum box only
    assert 'name="section_data"' not in body
    response = browser.post(note_url(note), note_data(version="1", section_data="Rewritten"))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.sections["data"] != "Rewritten"


def test_addendum_on_a_signed_note(as_user, therapist, client_record):
    note = SessionNoteFactory(client=client_record)
    session_note_sign(actor=therapist, note=note)
    url = reverse("clients:note_addendum", args=[client_record.pk, note.pk])
    browser = as_user(therapist)
    assert browser.post(url, {"text": "  "}).status_code == 400
    # The refusal shows the note again: a read, audited like the note's own page.
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="clients.sessionnote", object_id=str(note.pk)
    ).exists()
    response = browser.post(url, {"text": "Correction: the session lasted 45 minutes."})
    assert response.status_code == 302
    assert note.addenda.get().text == "Correction: the session lasted 45 minutes."
    assert (
        "Correction: the session lasted 45 minutes." in browser.get(note_url(note)).content.decode()
    )


def test_reading_a_note_is_audited(as_user, therapist, client_record):
    note = SessionNoteFactory(client=client_record)
    as_user(therapist).get(note_url(note))
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="clients.sessionnote", object_id=str(note.pk)
    ).exists()


def test_autosave_creates_then_updates_one_draft(as_user, therapist, client_record):
    url = reverse("clients:note_autosave", args=[client_record.pk])
    browser = as_user(therapist)
    first = browser.post(url, note_data(), HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    note = SessionNote.objects.get()
    assert "Draft saved" in first.content.decode()
    assert f'id="note-id" value="{note.pk}"' in first.content.decode()
    browser.post(
        url,
        note_data(note_id=str(note.pk), version="1", section_data="More"),
        HTTP_HX_REQUEST="true",
    )
    note.refresh_from_db()
    assert SessionNote.objects.count() == 1
    assert note.sections["data"] == "More"


def test_autosave_with_bad_input_saves_nothing_and_says_so(as_user, therapist, client_record):
    url = reverse("clients:note_autosave", args=[client_record.pk])
    response = as_user(therapist).post(url, note_data(session_date=""))
    assert "Not saved yet" in response.content.decode()
    assert not SessionNote.objects.exists()


def test_changing_format_carries_text_over(as_user, therapist, client_record):
    url = reverse("clients:note_sections", args=[client_record.pk])
    response = as_user(therapist).post(
        url, {"format": "soap", "section_data": "What she said", "section_plan": "Next week"}
    )
    body = response.content.decode()
    assert 'name="section_subjective"' in body
    assert "Data: What she said" in body  # no Data section in SOAP: kept in the first one
    assert "Next week" in body


def test_saving_with_another_formats_sections_keeps_their_text(as_user, therapist, client_record):
    # The format was changed before the page's script swapped the boxes (or with no script):
    # the posted DAP sections must land in the SOAP note, not vanish.
    as_user(therapist).post(new_url(client_record), note_data(format="soap"))
    note = SessionNote.objects.get()
    assert note.format == "soap"
    assert set(note.sections) == {"subjective", "objective", "assessment", "plan"}
    assert note.sections["subjective"] == "Data: Said groups are for people 'worse off'."
    assert note.sections["assessment"] == "Contemplation; curious about online options."
    assert note.sections["plan"] == "Look at one online meeting together."


def test_suggestions_follow_the_tagged_themes(as_user, therapist, client_record, theme):
    url = reverse("clients:note_suggestions", args=[client_record.pk])
    browser = as_user(therapist)
    body = browser.post(url, {f"theme_{theme.pk}": "2"}).content.decode()
    assert theme.name in body
    assert theme.questions[0].replace("'", "&#x27;") in body
    assert "Online meetings" in body
    assert "theme-suggestion" not in browser.post(url, {}).content.decode()


@pytest.mark.parametrize("who", ["colleague", "manager", "outsider"])
def test_note_pages_are_for_the_clients_therapist_only(request, as_user, who, client_record):
    note = SessionNoteFactory(client=client_record)
    browser = as_user(request.getfixturevalue(who))
    for url in (
        new_url(client_record),
        note_url(note),
    ):
        assert browser.get(url).status_code == 404
    for name in ("note_autosave", "note_sections", "note_suggestions"):
        assert (
            browser.post(reverse(f"clients:{name}", args=[client_record.pk]), {}).status_code == 404
        )
    assert browser.post(note_url(note), note_data(version="1")).status_code == 404
    note.refresh_from_db()
    assert note.sections["data"] == "Client talked about the week."


def test_anonymous_is_sent_to_sign_in_from_note_pages(client, client_record):
    note = SessionNoteFactory(client=client_record)
    for url in (new_url(client_record), note_url(note)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_a_note_of_another_client_is_404_even_for_its_therapist(as_user, therapist, client_record):
    from tests.factories import ClientFactory

    other = ClientFactory(primary_therapist=therapist)
    note = SessionNoteFactory(client=other)
    url = reverse("clients:note", args=[client_record.pk, note.pk])
    assert as_user(therapist).get(url).status_code == 404
