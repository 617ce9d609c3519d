"""The one scoped accessor every view uses: owner, colleague, manager, admin, outsider."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from clients.selectors import caseload_for_user, clients_visible_to, get_client_for_user
from tests.factories import ClientFactory


def test_therapist_sees_their_own_caseload_only(therapist, colleague, client_record):
    other = ClientFactory(primary_therapist=colleague)
    assert list(clients_visible_to(therapist)) == [client_record]
    assert list(clients_visible_to(colleague)) == [other]


def test_owner_gets_their_client(therapist, client_record):
    assert get_client_for_user(therapist, client_record.pk) == client_record


def test_colleague_therapist_gets_404(colleague, client_record):
    with pytest.raises(Http404):
        get_client_for_user(colleague, client_record.pk)


@pytest.mark.parametrize("who", ["manager", "practice_admin"])
def test_manager_and_admin_see_the_whole_practice(request, who, client_record, colleague):
    user = request.getfixturevalue(who)
    other = ClientFactory(primary_therapist=colleague)
    assert set(clients_visible_to(user)) == {client_record, other}
    assert get_client_for_user(user, other.pk) == other


def test_outsider_from_another_practice_gets_404(outsider, client_record):
    assert not clients_visible_to(outsider).exists()
    with pytest.raises(Http404):
        get_client_for_user(outsider, client_record.pk)


def test_anonymous_and_inactive_users_see_nothing(therapist, client_record):
    assert not clients_visible_to(AnonymousUser()).exists()
    therapist.is_active = False
    assert not clients_visible_to(therapist).exists()


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
