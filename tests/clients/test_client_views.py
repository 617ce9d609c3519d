"""Adding and editing clients, the ladder form, caseload filters, the client timeline."""

import datetime

import pytest
from django.urls import reverse

from clients.models import Client, ClientStatus, LadderMove
from clients.services import session_note_sign
from recovery.models import AuditAction, AuditEvent
from tests.factories import (
    AttendanceFactory,
    ClientFactory,
    LadderMoveFactory,
    MeetingPlanFactory,
    NoteThemeFactory,
    SessionNoteFactory,
)

NOW = datetime.datetime(2026, 11, 20, 23, 0, tzinfo=datetime.UTC)


def client_data(**overrides) -> dict:
    data = {
        "preferred_name": "Robin T.",
        "contact_email": "robin@example.net",
        "time_zone": "America/Chicago",
        "substances": ["alcohol", "cannabis"],
        "stage_of_change": "contemplation",
        "notes": "Prefers evening sessions.",
        "attendance_preference": "online",
        "program_preference": "any",
    }
    data.update(overrides)
    return data


def test_therapist_adds_a_client_to_their_own_caseload(as_user, therapist):
    response = as_user(therapist).post(reverse("clients:add"), client_data())
    client = Client.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("clients:detail", args=[client.pk])
    assert client.primary_therapist == therapist
    assert client.practice == therapist.practice
    assert client.substances == ["alcohol", "cannabis"]
    assert client.contact_email == "robin@example.net"
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, client=client).exists()


def test_a_therapist_cannot_place_a_client_in_a_colleagues_caseload(as_user, therapist, colleague):
    as_user(therapist).post(
        reverse("clients:add"), client_data(primary_therapist=str(colleague.pk))
    )
    assert Client.objects.get().primary_therapist == therapist


def test_manager_adds_a_client_for_a_therapist_of_the_practice(as_user, manager, therapist):
    browser = as_user(manager)
    response = browser.post(
        reverse("clients:add"), client_data(primary_therapist=str(therapist.pk))
    )
    assert response.status_code == 302
    assert Client.objects.get().primary_therapist == therapist


def test_manager_cannot_assign_a_therapist_of_another_practice(as_user, manager, outsider):
    from tests.factories import UserFactory

    foreign = UserFactory(practice=outsider.practice)
    response = as_user(manager).post(
        reverse("clients:add"), client_data(primary_therapist=str(foreign.pk))
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("preferred_name", ""),
        ("preferred_name", "x" * 500),
        ("contact_email", "not-an-email"),
        ("time_zone", "Mars/Olympus"),
        ("substances", ["plutonium"]),
        ("stage_of_change", "enlightened"),
        ("notes", "x" * 20_000),
        ("latitude", "91"),
        ("latitude", "north"),
        ("available_days", ["9"]),
        ("available_from", "25:00"),
        ("attendance_preference", "teleport"),
    ],
)
def test_bad_client_input_is_a_form_error_and_keeps_the_rest(as_user, therapist, field, value):
    response = as_user(therapist).post(reverse("clients:add"), client_data(**{field: value}))
    assert response.status_code == 200
    body = response.content.decode()
    assert "is-invalid" in body
    assert "Prefers evening sessions." in body or field == "notes"
    assert not Client.objects.exists()


def test_editing_discharges_with_todays_date_by_default(as_user, therapist, client_record):
    url = reverse("clients:edit", args=[client_record.pk])
    response = as_user(therapist).post(url, client_data(status="discharged", discharged_on=""))
    assert response.status_code == 302
    client_record.refresh_from_db()
    assert client_record.status == ClientStatus.DISCHARGED
    assert client_record.discharged_on is not None
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, client=client_record).exists()


@pytest.mark.parametrize(
    ("day", "error"),
    [
        ("1990-01-01", "cannot be before the client was added"),
        ("2999-01-01", "once it has happened"),
    ],
)
def test_a_discharge_date_before_the_client_was_added_or_to_come_is_refused(
    as_user, therapist, client_record, day, error
):
    # The retention period runs from the discharge: an early date would let the record be
    # deleted at once.
    url = reverse("clients:edit", args=[client_record.pk])
    response = as_user(therapist).post(url, client_data(status="discharged", discharged_on=day))
    assert response.status_code == 200
    assert error in response.content.decode()
    client_record.refresh_from_db()
    assert (client_record.status, client_record.discharged_on) == (ClientStatus.ACTIVE, None)


def test_reopening_a_client_clears_the_discharge_date(as_user, therapist):
    client = ClientFactory(
        primary_therapist=therapist, status="discharged", discharged_on=datetime.date(2026, 1, 5)
    )
    url = reverse("clients:edit", args=[client.pk])
    as_user(therapist).post(url, client_data(status="active", discharged_on="2026-01-05"))
    client.refresh_from_db()
    assert client.status == ClientStatus.ACTIVE
    assert client.discharged_on is None


@pytest.mark.parametrize("who", ["colleague", "outsider"])
def test_outsiders_cannot_open_or_edit_a_client(request, as_user, who, client_record):
    browser = as_user(request.getfixturevalue(who))
    url = reverse("clients:edit", args=[client_record.pk])
    assert browser.get(url).status_code == 404
    assert browser.post(url, client_data(preferred_name="Hijacked")).status_code == 404
    client_record.refresh_from_db()
    assert client_record.preferred_name == "Jordan"


def test_ladder_move_from_the_client_page(as_user, therapist, client_record):
    url = reverse("clients:ladder", args=[client_record.pk])
    browser = as_user(therapist)
    response = browser.post(
        url, {"step": "3", "reached_on": "2026-11-20", "comment": "Camera off, stayed"}
    )
    assert response.status_code == 302
    move = LadderMove.objects.get()
    assert (move.step, move.comment, move.recorded_by) == (3, "Camera off, stayed", therapist)
    body = browser.get(reverse("clients:detail", args=[client_record.pk])).content.decode()
    assert "Attended an online meeting" in body
    assert "Camera off, stayed" in body


def test_a_bad_ladder_move_records_nothing_and_says_why(as_user, therapist, client_record):
    url = reverse("clients:ladder", args=[client_record.pk])
    browser = as_user(therapist)
    response = browser.post(url, {"step": "12", "reached_on": "2099-01-01"}, follow=True)
    assert not LadderMove.objects.exists()
    assert "was not recorded" in response.content.decode()


@pytest.mark.parametrize("who", ["colleague", "outsider", "manager"])
def test_only_the_therapist_moves_the_ladder(request, as_user, who, client_record):
    url = reverse("clients:ladder", args=[client_record.pk])
    response = as_user(request.getfixturevalue(who)).post(
        url, {"step": "3", "reached_on": "2026-11-20"}
    )
    assert response.status_code in (403, 404)
    assert not LadderMove.objects.exists()


def test_timeline_shows_every_kind_newest_first(as_user, therapist, client_record):
    note = SessionNoteFactory(client=client_record, session_date=datetime.date(2026, 11, 10))
    session_note_sign(actor=therapist, note=note)
    LadderMoveFactory(client=client_record, step=2, reached_on=datetime.date(2026, 11, 12))
    plan = MeetingPlanFactory(client=client_record, starts_on=datetime.date(2026, 11, 14))
    AttendanceFactory(
        plan=plan,
        occurrence_start=NOW,
        status="attended",
        reported_by="therapist",
        reported_by_user=therapist,
        reported_at=NOW,
    )
    body = as_user(therapist).get(reverse("clients:detail", args=[client_record.pk]))
    order = [entry.kind for entry in body.context["timeline"]]
    assert order == ["attendance", "plan", "ladder", "note"]


def test_manager_sees_the_timeline_without_note_text(as_user, manager, therapist, client_record):
    SessionNoteFactory(
        client=client_record, sections={"data": "Private words", "assessment": "", "plan": ""}
    )
    LadderMoveFactory(client=client_record, step=2)
    body = as_user(manager).get(reverse("clients:detail", args=[client_record.pk]))
    text = body.content.decode()
    assert "Session note" in text
    assert "Listened to an online meeting" in text
    assert "Private words" not in text
    assert "Write a session note" not in text


def test_theme_chart_data_and_its_table(as_user, therapist, client_record):
    NoteThemeFactory(note=SessionNoteFactory(client=client_record), intensity=3)
    response = as_user(therapist).get(reverse("clients:detail", args=[client_record.pk]))
    chart = response.context["chart"]
    assert chart["series"][0]["values"] == [3]
    body = response.content.decode()
    assert 'id="theme-chart-data"' in body
    assert "<caption>Intensity of each theme" in body


def test_caseload_filters(as_user, therapist):
    a = ClientFactory(primary_therapist=therapist, preferred_name="Ari", stage_of_change="action")
    ClientFactory(primary_therapist=therapist, preferred_name="Bo", stage_of_change="contemplation")
    ClientFactory(
        primary_therapist=therapist,
        preferred_name="Cy",
        status="discharged",
        discharged_on=datetime.date(2026, 1, 1),
    )
    LadderMoveFactory(client=a, step=4)
    browser = as_user(therapist)

    def names(**params):
        page = browser.get(reverse("clients:caseload"), params).context["page"]
        return sorted(client.preferred_name for client in page)

    assert names() == ["Ari", "Bo"]
    assert names(stage="action") == ["Ari"]
    assert names(step="4") == ["Ari"]
    assert names(step="0") == ["Bo"]
    assert names(status="discharged") == ["Cy"]
    assert names(status="all") == ["Ari", "Bo", "Cy"]
    assert names(q="b") == ["Bo"]


def test_caseload_shows_strongest_recent_themes_and_next_meeting(as_user, therapist, client_record):
    note = SessionNoteFactory(client=client_record)
    NoteThemeFactory(note=note, intensity=3)
    MeetingPlanFactory(client=client_record)
    body = as_user(therapist).get(reverse("clients:caseload")).content.decode()
    assert "Fear of judgment or labels · 3/3" in body
    assert "Tuesday Night Group" in body


@pytest.mark.parametrize(
    "params", [{"step": "99"}, {"stage": "zzz"}, {"therapist": "abc"}, {"page": "-1"}]
)
def test_caseload_survives_bad_filters(as_user, manager, params):
    assert as_user(manager).get(reverse("clients:caseload"), params).status_code == 200


def test_reasons_for_missed_meetings_show_beside_the_themes(as_user, therapist, client_record):
    plan = MeetingPlanFactory(client=client_record)
    for weeks, reason in enumerate(("anxious", "anxious", "transport")):
        AttendanceFactory(
            plan=plan,
            occurrence_start=NOW - datetime.timedelta(weeks=weeks),
            status="missed",
            reason=reason,
            reported_by="client",
            reported_at=NOW,
        )
    body = as_user(therapist).get(reverse("clients:detail", args=[client_record.pk]))
    text = body.content.decode()
    assert "Felt anxious · 2" in text
    assert "Transport · 1" in text


def test_a_manager_editing_a_client_neither_sees_nor_overwrites_the_background_notes(
    as_user, manager, therapist, client_record
):
    Client.objects.filter(pk=client_record.pk).update(notes="Sister drinks too; avoid her group.")
    url = reverse("clients:edit", args=[client_record.pk])
    browser = as_user(manager)
    body = browser.get(url).content.decode()
    assert "Sister drinks too" not in body and 'name="notes"' not in body
    data = client_data(notes="Overwritten", primary_therapist=therapist.pk, status="active")
    assert browser.post(url, data).status_code == 302
    client_record.refresh_from_db()
    assert client_record.notes == "Sister drinks too; avoid her group."
    assert client_record.preferred_name == "Robin T."  # the rest of the edit went through
    assert "Sister drinks too" in as_user(therapist).get(url).content.decode()
