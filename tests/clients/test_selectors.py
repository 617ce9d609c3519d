"""The one scoped accessor every view uses: owner, colleague, manager, admin, outsider."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from clients.models import Client, ResistanceTheme
from clients.selectors import Need, get_client_for_user
from clients.selectors.caseload import caseload_for_user
from clients.selectors.client_page import theme_intensity_series
from clients.services.common import ensure_access
from tests.factories import ClientFactory, NoteThemeFactory, SessionNoteFactory


def test_therapist_sees_their_own_caseload_only(therapist, colleague, client_record):
    other = ClientFactory(primary_therapist=colleague)
    assert list(Client.objects.visible_to(therapist)) == [client_record]
    assert list(Client.objects.visible_to(colleague)) == [other]


def test_owner_gets_their_client(therapist, client_record):
    assert get_client_for_user(therapist, client_record.pk) == client_record


def test_colleague_therapist_gets_404(colleague, client_record):
    with pytest.raises(Http404):
        get_client_for_user(colleague, client_record.pk)


@pytest.mark.parametrize("who", ["manager", "practice_admin"])
def test_manager_and_admin_see_the_whole_practice(request, who, client_record, colleague):
    user = request.getfixturevalue(who)
    other = ClientFactory(primary_therapist=colleague)
    assert set(Client.objects.visible_to(user)) == {client_record, other}
    assert get_client_for_user(user, other.pk) == other


def test_outsider_from_another_practice_gets_404(outsider, client_record):
    assert not Client.objects.visible_to(outsider).exists()
    with pytest.raises(Http404):
        get_client_for_user(outsider, client_record.pk)


@pytest.mark.parametrize(
    ("who", "need", "allowed"),
    [
        ("therapist", Need.CLINICIAN, True),
        ("manager", Need.CLINICIAN, False),
        ("practice_admin", Need.CLINICIAN, False),
        ("therapist", Need.ADMIN, False),
        ("manager", Need.ADMIN, False),
        ("practice_admin", Need.ADMIN, True),
        ("outsider", Need.ADMIN, False),
    ],
)
def test_what_a_page_needs_beyond_seeing_the_client(request, client_record, who, need, allowed):
    user = request.getfixturevalue(who)
    if allowed:
        assert get_client_for_user(user, client_record.pk, need=need) == client_record
    else:
        with pytest.raises(Http404):
            get_client_for_user(user, client_record.pk, need=need)


@pytest.mark.parametrize(
    ("who", "need", "refusal"),
    [
        ("colleague", Need.SEE, "outside your caseload"),
        ("manager", Need.SEE, None),
        ("therapist", Need.CLINICIAN, None),
        ("manager", Need.CLINICIAN, "Only the client's therapist"),
        ("outsider", Need.ADMIN, "outside your practice"),
        ("manager", Need.ADMIN, "Only a practice admin"),
        ("practice_admin", Need.ADMIN, None),
    ],
)
def test_the_services_guard_says_why_it_refuses(request, client_record, who, need, refusal):
    user = request.getfixturevalue(who)
    if refusal is None:
        ensure_access(user, client_record, need)
    else:
        with pytest.raises(PermissionDenied, match=refusal):
            ensure_access(user, client_record, need)


def test_a_restricted_record_takes_no_new_clinical_content(therapist, client_record):
    client_record.restricted_at = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    with pytest.raises(PermissionDenied, match="restricted"):
        ensure_access(therapist, client_record, Need.CLINICIAN)
    ensure_access(therapist, client_record)  # still seen


def test_anonymous_and_inactive_users_see_nothing(therapist, client_record):
    assert not Client.objects.visible_to(AnonymousUser()).exists()
    therapist.is_active = False
    assert not Client.objects.visible_to(therapist).exists()


@pytest.mark.parametrize("pk", [0, -1, 10**12, "abc", "1 OR 1=1"])
def test_tampered_ids_get_404(therapist, client_record, pk):
    with pytest.raises(Http404):
        get_client_for_user(therapist, pk)


def test_caseload_lists_active_clients_longest_unseen_first(therapist):
    from tests.factories import SessionNoteFactory

    recent = ClientFactory(primary_therapist=therapist, preferred_name="Recent")
    stale = ClientFactory(primary_therapist=therapist, preferred_name="Stale")
    never = ClientFactory(primary_therapist=therapist, preferred_name="Never")
    ClientFactory(
        primary_therapist=therapist,
        preferred_name="Gone",
        status="discharged",
        discharged_on="2026-01-01",
    )
    SessionNoteFactory(client=recent, session_date="2026-11-20")
    SessionNoteFactory(client=stale, session_date="2026-09-01")
    assert [c.preferred_name for c in caseload_for_user(therapist)] == [
        never.preferred_name,
        stale.preferred_name,
        recent.preferred_name,
    ]


# --- The theme chart on the client's page ----------------------------------------------------


def test_theme_chart_has_one_readable_date_per_session_and_the_strongest_intensity(
    client_record, django_assert_num_queries
):
    fear, trauma = ResistanceTheme.objects.filter(practice=None).order_by("position")[:2]
    nov3, nov10 = datetime.date(2026, 11, 3), datetime.date(2026, 11, 10)
    # Two notes of one session (a second note the same day), each tagging themes.
    first = SessionNoteFactory(client=client_record, session_date=nov3)
    second = SessionNoteFactory(client=client_record, session_date=nov3)
    NoteThemeFactory(note=first, theme=fear, intensity=1)
    NoteThemeFactory(note=second, theme=fear, intensity=3)
    NoteThemeFactory(note=second, theme=trauma, intensity=2)
    NoteThemeFactory(
        note=SessionNoteFactory(client=client_record, session_date=nov10), theme=fear, intensity=2
    )

    with django_assert_num_queries(2):
        chart = theme_intensity_series(client_record)

    assert chart["labels"] == ["3 Nov 2026", "10 Nov 2026"]
    assert chart["dates"] == ["2026-11-03", "2026-11-10"]
    assert chart["series"] == [
        {"theme": fear.name, "values": [3, 2]},
        {"theme": trauma.name, "values": [2, 0]},
    ]


def test_theme_chart_counts_its_last_sessions_by_date(client_record):
    start = datetime.date(2026, 10, 1)
    for offset in range(4):
        day = start + datetime.timedelta(days=7 * offset)
        for _ in range(2):  # two notes each session: still one session
            NoteThemeFactory(note=SessionNoteFactory(client=client_record, session_date=day))

    chart = theme_intensity_series(client_record, sessions=3)

    assert chart["labels"] == ["8 Oct 2026", "15 Oct 2026", "22 Oct 2026"]
    assert [len(line["values"]) for line in chart["series"]] == [3]
