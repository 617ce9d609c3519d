"""A therapist's day in a real browser: sign in, add a client, write, sign and amend a note,
move the client on the ladder; and the note form's safety nets (autosave, the leave-page
warning, two tabs on one draft)."""

import re

import pytest

from clients.models import Client, NoteStatus, SessionNote
from tests.factories import SessionNoteFactory

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package"
)
expect = sync_api.expect

pytestmark = [
    pytest.mark.e2e,
    # The note form lists the curated themes, which come from a data migration (see conftest).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FEAR = "Fear of judgment or labels"
PRACTICAL = "Practical barriers (transport, schedule, childcare, cost)"


@pytest.fixture
def autosave_off(settings):
    # The live server runs in this process, so it reads the changed setting. An autosave that
    # fires just as a test clicks "Save draft" would race the click and make the test flaky.
    settings.NOTE_AUTOSAVE_SECONDS = 3600


def mark_document(page) -> None:
    """Tag the current document, to tell later that htmx swapped parts of it in place."""
    page.evaluate("window.__sameDocument = true")


def assert_same_document(page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded or navigated"


def section_box(page, label: str):
    return page.locator("#note-sections").get_by_label(label, exact=True)


def test_therapist_adds_a_client_then_writes_signs_and_amends_a_dap_note(
    signed_in_page, autosave_off
):
    page = signed_in_page
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()

    # Add a client: land on their page.
    page.get_by_role("main").get_by_role("link", name="Add client").click()
    expect(page.get_by_role("heading", name="Add a client")).to_be_visible()
    page.get_by_label("Preferred name").fill("Riley M.")
    page.get_by_label("Alcohol").check()
    page.get_by_label("Stage of change").select_option(label="Preparation")
    page.get_by_role("button", name="Add client").click()
    # The page first: the click returns before the server has handled the form.
    expect(page.get_by_role("status").filter(has_text="Riley M. was added.")).to_be_visible()
    client = Client.objects.get(preferred_name="Riley M.")
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/$"))
    expect(page.get_by_role("heading", name="Riley M.", level=1)).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Nothing recorded yet.")

    # A DAP note: the section boxes follow the chosen format without a reload.
    page.get_by_role("link", name="Write a session note").click()
    expect(page.get_by_role("heading", name="New session note · Riley M.")).to_be_visible()
    mark_document(page)
    page.get_by_label("Format").select_option(label="SOAP")
    expect(section_box(page, "Subjective")).to_be_visible()
    page.get_by_label("Format").select_option(label="DAP")
    expect(section_box(page, "Subjective")).to_have_count(0)
    for label in ("Data", "Assessment", "Plan"):
        expect(section_box(page, label)).to_be_visible()
    texts = {
        "data": "Said meetings are for people worse off than him; the bus takes an hour.",
        "assessment": "Ambivalent; shame about the label more than doubt about the help.",
        "plan": "Look at an online SMART meeting together next week.",
    }
    section_box(page, "Data").fill(texts["data"])
    section_box(page, "Assessment").fill(texts["assessment"])
    section_box(page, "Plan").fill(texts["plan"])

    # Two themes tagged: their suggestions appear beside the form, strongest first.
    themes = page.locator("#theme-fields")
    themes.get_by_label(PRACTICAL).select_option(label="2 · moderate")
    themes.get_by_label(FEAR).select_option(label="3 · strong")
    cards = page.locator("#theme-suggestions .theme-suggestion")
    expect(cards).to_have_count(2)
    expect(cards.nth(0).get_by_role("heading", level=3)).to_contain_text(FEAR)
    expect(cards.nth(0)).to_contain_text("3/3")
    expect(cards.nth(1).get_by_role("heading", level=3)).to_contain_text(PRACTICAL)
    expect(cards.nth(1)).to_contain_text("2/3")
    assert_same_document(page)
    expect(section_box(page, "Data")).to_have_value(texts["data"])

    # Save the draft: land on the draft's own page, everything kept.
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").filter(has_text="Draft saved.")).to_be_visible()
    note = SessionNote.objects.get(client=client)
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/notes/{note.pk}/$"))
    expect(page.get_by_role("heading", name="Draft session note · Riley M.")).to_be_visible()
    for key, label in (("data", "Data"), ("assessment", "Assessment"), ("plan", "Plan")):
        expect(section_box(page, label)).to_have_value(texts[key])
    expect(themes.get_by_label(FEAR)).to_have_value("3")
    expect(page.locator("#theme-suggestions .theme-suggestion")).to_have_count(2)
    assert note.status == NoteStatus.DRAFT

    # Sign it: back on the client page, the note on the timeline.
    page.get_by_role("button", name="Sign note").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/$"))
    expect(page.get_by_role("status").filter(has_text="Note signed.")).to_be_visible()
    entry = page.locator("#timeline .timeline-item[data-kind=note]")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("DAP")
    expect(entry).to_contain_text("Signed")
    expect(entry).to_contain_text(f"{FEAR} · 3/3")
    expect(entry).to_contain_text("Data: Said meetings are for people worse off")

    # Open it: read-only.
    entry.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/notes/{note.pk}/$"))
    expect(page.get_by_role("heading", name=re.compile(r"^Session note · "))).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(texts["assessment"])
    expect(page.locator("textarea[name^=section_]")).to_have_count(0)
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)

    # A hand-made POST to the note, with a valid CSRF token, changes nothing.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(
        page.url,
        form={
            "csrfmiddlewaretoken": token,
            "action": "save",
            "note_id": str(note.pk),
            "version": str(note.version),
            "session_date": note.session_date.isoformat(),
            "duration_minutes": "50",
            "format": "DAP",
            "section_data": "Rewritten after signing.",
        },
    )
    assert response.ok, response.status
    assert "A signed note cannot be changed" in response.text()
    note.refresh_from_db()
    assert note.status == NoteStatus.SIGNED
    assert note.sections == texts

    # An addendum is the way to add to it.
    page.get_by_label("Addendum").fill("Client called: the bus route changed, now 30 minutes.")
    page.get_by_role("button", name="Add addendum").click()
    expect(page.get_by_role("status").filter(has_text="Addendum added.")).to_be_visible()
    addenda = page.get_by_role("region", name="Addenda")
    expect(addenda.locator(".addendum")).to_have_count(1)
    expect(addenda).to_contain_text("the bus route changed, now 30 minutes.")
    note.refresh_from_db()
    assert note.sections == texts
    assert note.addenda.count() == 1


def test_therapist_moves_a_client_up_the_ladder(signed_in_page, client_record):
    page = signed_in_page
    # Signing in landed on the caseload before the client existed: load it again.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My caseload").click()
    page.get_by_role("link", name="Jordan").click()
    expect(page.get_by_role("heading", name="Jordan", level=1)).to_be_visible()
    expect(page.locator("#current-step")).to_have_text("Not started")

    ladder = page.get_by_role("region", name="Move on the ladder")
    ladder.get_by_label("Step").select_option(label="Attended an online meeting")
    ladder.get_by_label("Comment").fill("Camera off, stayed to the end")
    ladder.get_by_role("button", name="Record step").click()

    expect(page).to_have_url(re.compile(rf"/clients/{client_record.pk}/$"))
    expect(page.get_by_role("status").filter(has_text="Ladder step recorded.")).to_be_visible()
    expect(page.locator("#current-step")).to_have_text("3. Attended an online meeting")
    move = page.locator("#timeline .timeline-item[data-kind=ladder]")
    expect(move).to_have_count(1)
    expect(move).to_contain_text("Ladder: 3. Attended an online meeting")
    expect(move).to_contain_text("“Camera off, stayed to the end”")
    assert list(client_record.ladder_moves.values_list("step", flat=True)) == [3]


def test_a_format_chosen_before_the_script_ran_still_gets_its_boxes(
    signed_in_page, client_record, autosave_off
):
    # The page arrives with SOAP chosen but DAP's boxes, as when the browser restores a
    # changed select or the format is changed before htmx is listening: the boxes follow.
    page = signed_in_page
    url = f"/clients/{client_record.pk}/notes/new/"

    def soap_already_chosen(route):
        html = route.fetch().text()
        assert 'data-format="dap"' in html
        html = html.replace(" selected>", ">").replace('value="soap">', 'value="soap" selected>')
        route.fulfill(body=html, content_type="text/html; charset=utf-8")

    page.route(f"**{url}", soap_already_chosen)
    page.goto(url)
    expect(page.get_by_label("Format")).to_have_value("soap")
    expect(section_box(page, "Subjective")).to_be_visible()
    expect(section_box(page, "Data")).to_have_count(0)


def test_autosave_creates_a_draft_that_save_draft_then_updates(
    signed_in_page, client_record, settings
):
    settings.NOTE_AUTOSAVE_SECONDS = 1
    page = signed_in_page
    page.goto(f"/clients/{client_record.pk}/notes/new/")
    status = page.locator("#autosave-status")
    text = "Talked about a Tuesday night group near work."
    # fill() sends one input event, so the text is complete before the first autosave can run.
    section_box(page, "Data").fill(text)

    expect(status).to_contain_text("Draft saved")
    note = SessionNote.objects.get(client=client_record)
    assert note.status == NoteStatus.DRAFT
    assert note.sections["data"] == text
    expect(page.locator("#note-id")).to_have_value(str(note.pk))

    # Leaving the box fires its change event, which marks the form unsaved and brings one
    # more autosave: wait for it, so that none is in flight when "Save draft" posts.
    save = page.get_by_role("button", name="Save draft")
    save.focus()
    expect(status).to_contain_text("Draft saved")
    autosaved_version = SessionNote.objects.get(pk=note.pk).version

    save.click()
    expect(page).to_have_url(re.compile(rf"/clients/{client_record.pk}/notes/{note.pk}/$"))
    expect(page.get_by_role("status").filter(has_text="Draft saved.")).to_be_visible()
    expect(section_box(page, "Data")).to_have_value(text)
    # The autosaved draft was updated, not duplicated.
    assert list(SessionNote.objects.filter(client=client_record)) == [note]
    note.refresh_from_db()
    assert note.version == autosaved_version + 1


def test_leaving_a_note_with_unsaved_text_asks_first(signed_in_page, client_record, autosave_off):
    page = signed_in_page
    page.goto(f"/clients/{client_record.pk}/notes/new/")
    note_url = page.url
    # Chromium shows the leave-page prompt only after a real gesture in the page: type.
    section_box(page, "Data").click()
    page.keyboard.type("Client arrived late")

    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # "Stay on page"

    page.on("dialog", answer)
    breadcrumb = page.get_by_role("navigation", name="breadcrumb")
    with page.expect_event("dialog") as asked:
        breadcrumb.get_by_role("link", name="Jordan").click()
    assert asked.value.type == "beforeunload"
    expect(page).to_have_url(note_url)
    expect(section_box(page, "Data")).to_have_value("Client arrived late")

    # Once saved, leaving is quiet.
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").filter(has_text="Draft saved.")).to_be_visible()
    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="Jordan").click()
    expect(page.get_by_role("heading", name="Jordan", level=1)).to_be_visible()
    assert dialogs == ["beforeunload"]


def test_second_tab_saving_a_stale_draft_sees_the_conflict_and_keeps_its_text(
    signed_in_page, client_record, autosave_off
):
    note = SessionNoteFactory(client=client_record)
    first = signed_in_page
    second = first.context.new_page()  # same context: same session cookie
    for tab in (first, second):
        tab.goto(f"/clients/{client_record.pk}/notes/{note.pk}/")
        expect(tab.get_by_role("heading", name="Draft session note · Jordan")).to_be_visible()

    section_box(first, "Data").fill("Tab one: client brought a meeting list.")
    first.get_by_role("button", name="Save draft").click()
    expect(first.get_by_role("status").filter(has_text="Draft saved.")).to_be_visible()

    section_box(second, "Data").fill("Tab two: client said the list is pointless.")
    second.get_by_role("button", name="Save draft").click()
    conflict = second.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("This draft was saved elsewhere")
    expect(conflict).to_contain_text("Tab one: client brought a meeting list.")
    expect(section_box(second, "Data")).to_have_value("Tab two: client said the list is pointless.")

    note.refresh_from_db()
    assert note.sections["data"] == "Tab one: client brought a meeting list."
    assert note.version == 2


def count_autosaves(page) -> list[str]:
    """The autosave requests the page sends from now on, as they leave the browser."""
    sent: list[str] = []
    page.on(
        "request",
        lambda request: sent.append(request.url) if "/notes/autosave/" in request.url else None,
    )
    return sent


def write_a_note_the_server_refuses(page, client_record) -> None:
    page.goto(f"/clients/{client_record.pk}/notes/new/")
    page.get_by_label("Duration (minutes)").fill("")  # required: the autosave is turned down
    section_box(page, "Data").click()  # a real gesture, so Chromium may ask before leaving
    section_box(page, "Data").fill("Said the group felt like being watched.")
    expect(page.locator("#autosave-status .text-danger")).to_contain_text("Not saved yet")


def test_a_refused_autosave_is_not_retried_so_an_unattended_note_still_times_out(
    signed_in_page, client_record, settings
):
    # The server counts each autosave as activity: one retried every second after the server
    # turned it down kept an unattended session, and the note on screen, alive for ever.
    settings.NOTE_AUTOSAVE_SECONDS = 1
    settings.SESSION_IDLE_SECONDS = 7
    settings.SESSION_IDLE_WARNING_SECONDS = 3
    page = signed_in_page
    autosaves = count_autosaves(page)
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()  # nobody is there to answer

    page.on("dialog", answer)
    write_a_note_the_server_refuses(page, client_record)

    # Nobody touches the page. At the idle limit the server ends the session and idle.js
    # takes the page to sign-in: the unsaved text leaves the screen, with no "leave this
    # page?" prompt holding it there for nobody to answer.
    expect(page).to_have_url(re.compile(r"/sign-in/\?next="), timeout=12_000)
    assert asked == []
    assert page.request.get("/account/session/").status == 401
    assert len(autosaves) == 1
    assert not SessionNote.objects.filter(client=client_record).exists()


def test_after_a_refused_autosave_only_an_edit_brings_another_attempt(
    signed_in_page, client_record, settings
):
    settings.NOTE_AUTOSAVE_SECONDS = 1
    page = signed_in_page
    autosaves = count_autosaves(page)
    write_a_note_the_server_refuses(page, client_record)
    status = page.locator("#autosave-status")
    # Leaving the box fires its change event, but nothing was edited: no new attempt, and the
    # status keeps saying why the draft is not saved.
    page.get_by_label("Format").focus()
    page.wait_for_timeout(2_500)  # two and a half autosave periods
    assert len(autosaves) == 1
    expect(status.locator(".text-danger")).to_contain_text("Not saved yet")

    # Typing again is worth one more try, which the server turns down too.
    box = section_box(page, "Data")
    box.fill(box.input_value() + " Wants to try once.")
    page.wait_for_timeout(2_500)
    assert len(autosaves) == 2
    expect(status.locator(".text-danger")).to_contain_text("Not saved yet")

    # Fixed, it saves.
    page.get_by_label("Duration (minutes)").fill("50")
    expect(status).to_contain_text("Draft saved")
    assert len(autosaves) == 3
    # Saved, leaving the box (as when the idle warning takes the focus) sends nothing more.
    page.get_by_label("Format").focus()
    page.wait_for_timeout(2_500)
    assert len(autosaves) == 3
    note = SessionNote.objects.get(client=client_record)
    assert note.duration_minutes == 50
    assert note.sections["data"].endswith("Wants to try once.")
