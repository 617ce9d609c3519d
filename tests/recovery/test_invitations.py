"""Staff join by invitation: an admin invites, the link sets a password once, two-factor next.

Owner (the practice admin), colleague (a therapist or manager of the same practice) and
outsider (another practice's admin), as everywhere.
"""

import datetime
import re
import smtplib

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from recovery import invitations
from recovery.celery import app as celery_app
from recovery.models import AuditAction, AuditEvent, Invitation, InvitationEmail, Role, User
from tests.conftest import signed_in
from tests.factories import PracticeFactory, UserFactory

NOW = datetime.datetime(2026, 12, 3, 15, 0, tzinfo=datetime.UTC)
PASSWORD = "a quiet harbour at dawn 26"


@pytest.fixture(autouse=True)
def _eager_tasks(monkeypatch):
    # The task runs in this process when its transaction commits, as a worker would run it.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


@pytest.fixture
def other_admin(db):
    return UserFactory(
        practice=PracticeFactory(name="Elsewhere"), role=Role.ADMIN, full_name="Olive Other"
    )


def invite(admin, django_capture_on_commit_callbacks, **fields):
    data = {"email": "jamie@harbor.example", "full_name": "Jamie New", "role": "therapist"}
    data.update(fields)
    with django_capture_on_commit_callbacks(execute=True):
        return signed_in(admin).post(reverse("staff_list"), data)


def link_in(message) -> str:
    return re.search(r"https?://\S+/welcome/[^/\s]+/", message.body).group(0)


def path_of(link: str) -> str:
    return link.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


@time_machine.travel(NOW, tick=False)
def test_an_admin_invites_and_the_worker_mails_a_one_time_link(
    practice_admin, django_capture_on_commit_callbacks, mailoutbox
):
    response = invite(practice_admin, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.practice == practice_admin.practice
    assert invitation.expires_at == NOW + datetime.timedelta(hours=72)
    assert invitation.email_status == InvitationEmail.SENT
    (message,) = mailoutbox
    assert message.to == ["jamie@harbor.example"]
    assert practice_admin.practice.name in message.subject
    link = link_in(message)
    token = link.rstrip("/").rsplit("/", 1)[1]
    # Only the hash is kept; the encrypted copy for the worker is gone once it was sent.
    assert invitation.token_hash == invitations.token_hash(token) != token
    assert invitation.outgoing_token == ""
    assert message.alternatives[0][0].count(link) == 1
    assert AuditEvent.objects.filter(action=AuditAction.INVITE, actor=practice_admin).exists()


def test_the_link_shows_a_form_and_changes_nothing_on_get(
    practice_admin, django_capture_on_commit_callbacks, mailoutbox, client
):
    invite(practice_admin, django_capture_on_commit_callbacks)
    response = client.get(path_of(link_in(mailoutbox[0])))
    assert response.status_code == 200
    assert b"Choose a password" in response.content
    assert not User.objects.filter(email="jamie@harbor.example").exists()
    assert Invitation.objects.get().state == "pending"


def test_accepting_sets_the_password_signs_in_and_sends_to_two_factor_set_up(
    practice_admin, django_capture_on_commit_callbacks, mailoutbox, client, settings
):
    settings.REQUIRE_2FA = True
    invite(practice_admin, django_capture_on_commit_callbacks, role="manager")
    path = path_of(link_in(mailoutbox[0]))
    response = client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_enrol"))
    user = User.objects.get(email="jamie@harbor.example")
    assert user.practice == practice_admin.practice
    assert user.role == Role.MANAGER
    assert user.full_name == "Jamie New"
    assert user.check_password(PASSWORD)
    assert not user.is_staff
    # Signed in: the caseload sends them to two-factor set-up, not to the sign-in page.
    assert client.get(reverse("clients:caseload"))["Location"].startswith(
        reverse("two_factor_enrol")
    )
    invitation = Invitation.objects.get()
    assert invitation.accepted_user == user and invitation.state == "accepted"
    assert AuditEvent.objects.filter(action=AuditAction.INVITE_ACCEPT, actor=user).exists()


def test_an_invited_admin_gets_the_django_admin_flag(
    practice_admin, django_capture_on_commit_callbacks, mailoutbox, client
):
    invite(practice_admin, django_capture_on_commit_callbacks, role="admin")
    client.post(
        path_of(link_in(mailoutbox[0])), {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert User.objects.get(email="jamie@harbor.example").is_staff


def test_a_used_link_is_refused(
    practice_admin, django_capture_on_commit_callbacks, mailoutbox, client
):
    invite(practice_admin, django_capture_on_commit_callbacks)
    path = path_of(link_in(mailoutbox[0]))
    client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    client.logout()
    again = client.post(path, {"new_password1": "another " + PASSWORD, "new_password2": "x"})
    assert again.status_code == 404
    assert b"no longer works" in again.content
    assert User.objects.filter(email="jamie@harbor.example").count() == 1
    assert User.objects.get(email="jamie@harbor.example").check_password(PASSWORD)


def test_an_expired_link_is_refused(
    practice_admin, django_capture_on_commit_callbacks, mailoutbox, client
):
    with time_machine.travel(NOW, tick=False):
        invite(practice_admin, django_capture_on_commit_callbacks)
    path = path_of(link_in(mailoutbox[0]))
    with time_machine.travel(NOW + datetime.timedelta(hours=72, seconds=1), tick=False):
        response = client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
        assert response.status_code == 404
        assert Invitation.objects.get().state == "expired"
    assert not User.objects.filter(email="jamie@harbor.example").exists()


def test_a_revoked_link_is_refused(
    practice_admin, django_capture_on_commit_callbacks, mailoutbox, client
):
    invite(practice_admin, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    response = signed_in(practice_admin).post(reverse("invitation_revoke", args=[invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == "revoked" and invitation.revoked_by == practice_admin
    assert client.get(path_of(link_in(mailoutbox[0]))).status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.INVITE_REVOKE).exists()


def test_sending_again_replaces_the_link(
    practice_admin, django_capture_on_commit_callbacks, mailoutbox, client
):
    invite(practice_admin, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(practice_admin).post(reverse("invitation_resend", args=[invitation.pk]))
    first, second = (path_of(link_in(message)) for message in mailoutbox)
    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_inviting_the_same_address_again_leaves_one_working_link(
    practice_admin, django_capture_on_commit_callbacks, mailoutbox, client
):
    invite(practice_admin, django_capture_on_commit_callbacks)
    invite(practice_admin, django_capture_on_commit_callbacks, full_name="Jamie Renamed")
    assert Invitation.objects.open().count() == 1
    first, second = (path_of(link_in(message)) for message in mailoutbox)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_an_existing_accounts_email_is_a_form_error(
    practice_admin, therapist, django_capture_on_commit_callbacks, mailoutbox
):
    response = invite(
        practice_admin, django_capture_on_commit_callbacks, email=therapist.email.upper()
    )
    assert response.status_code == 400
    assert b"already has an account" in response.content
    assert not Invitation.objects.exists() and not mailoutbox


def test_a_weak_or_mismatched_password_keeps_the_invitation(
    practice_admin, django_capture_on_commit_callbacks, mailoutbox, client
):
    invite(practice_admin, django_capture_on_commit_callbacks)
    path = path_of(link_in(mailoutbox[0]))
    weak = client.post(path, {"new_password1": "jamie new", "new_password2": "jamie new"})
    assert weak.status_code == 400
    mismatched = client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD + "!"})
    assert mismatched.status_code == 400
    assert not User.objects.filter(email="jamie@harbor.example").exists()
    assert client.get(path).status_code == 200


def test_someone_signed_in_is_asked_to_sign_out_first(
    practice_admin, therapist, django_capture_on_commit_callbacks, mailoutbox
):
    invite(practice_admin, django_capture_on_commit_callbacks)
    browser = signed_in(therapist)
    path = path_of(link_in(mailoutbox[0]))
    assert b"Sign out first" in browser.get(path).content
    response = browser.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 409
    assert not User.objects.filter(email="jamie@harbor.example").exists()


def test_an_unknown_token_is_a_calm_404(client, db):
    response = client.get(reverse("invitation_accept", args=["not-a-token"]))
    assert response.status_code == 404
    assert b"Ask your practice admin" in response.content


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.MANAGER])
def test_only_a_practice_admin_may_invite(practice, role, django_capture_on_commit_callbacks):
    colleague = UserFactory(practice=practice, role=role)
    assert signed_in(colleague).get(reverse("staff_list")).status_code == 404
    assert invite(colleague, django_capture_on_commit_callbacks).status_code == 404
    with pytest.raises(PermissionDenied):
        invitations.invitation_create(
            actor=colleague, practice=practice, email="x@example.org", full_name="X", role="admin"
        )
    assert not Invitation.objects.exists()


def test_another_practices_admin_cannot_invite_into_yours_or_touch_your_invitations(
    practice_admin, other_admin, django_capture_on_commit_callbacks
):
    invite(practice_admin, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    outsider = signed_in(other_admin)
    assert outsider.post(reverse("invitation_revoke", args=[invitation.pk])).status_code == 404
    assert outsider.post(reverse("invitation_resend", args=[invitation.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        invitations.invitation_create(
            actor=other_admin,
            practice=practice_admin.practice,
            email="y@example.org",
            full_name="Y",
            role="therapist",
        )
    with pytest.raises(PermissionDenied):
        invitations.invitation_revoke(actor=other_admin, invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.state == "pending"
    # Their staff page lists only their own practice's invitations.
    assert b"jamie@harbor.example" not in outsider.get(reverse("staff_list")).content


def test_a_mail_failure_is_shown_without_the_address_and_can_be_sent_again(
    practice_admin, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused(
            {"jamie@harbor.example": (550, b"5.1.1 <jamie@harbor.example>: no such user")}
        )

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    invite(practice_admin, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    assert invitation.email_status == InvitationEmail.FAILED
    assert "550" in invitation.email_error and "jamie@" not in invitation.email_error
    # The token stays (encrypted) for "send again" to replace; the page shows the failure.
    page = signed_in(practice_admin).get(reverse("staff_list")).content.decode()
    assert "Could not be sent" in page and "no such user" in page
    monkeypatch.undo()
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(practice_admin).post(reverse("invitation_resend", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.email_status == InvitationEmail.SENT
    assert len(mailoutbox) == 1


def test_the_worker_sends_an_invitation_at_most_once(
    practice_admin, django_capture_on_commit_callbacks, mailoutbox
):
    invite(practice_admin, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    # A retried or duplicated task finds the row sent, and does nothing.
    assert invitations.invitation_send(invitation_id=invitation.pk) == "not queued"
    assert len(mailoutbox) == 1


def test_an_accepted_invitation_cannot_be_revoked(
    practice_admin, django_capture_on_commit_callbacks, mailoutbox, client
):
    invite(practice_admin, django_capture_on_commit_callbacks)
    client.post(
        path_of(link_in(mailoutbox[0])), {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    invitation = Invitation.objects.get()
    with pytest.raises(ValidationError):
        invitations.invitation_revoke(actor=practice_admin, invitation=invitation)


def test_the_staff_page_lists_the_practice_and_who_has_two_factor(
    practice_admin, therapist, outsider
):
    page = signed_in(practice_admin).get(reverse("staff_list")).content.decode()
    assert therapist.email in page and practice_admin.email in page
    assert outsider.email not in page
    # signed_in() gave the admin a device; the therapist has none.
    assert page.count("Set up</span>") == 1 and "Not yet" in page


def test_the_expiry_follows_the_setting(practice_admin, settings):
    settings.INVITATION_MAX_AGE_HOURS = 24
    with time_machine.travel(NOW, tick=False):
        invitation = invitations.invitation_create(
            actor=practice_admin,
            practice=practice_admin.practice,
            email="k@example.org",
            full_name="K",
            role="therapist",
        )
    assert invitation.expires_at == NOW + datetime.timedelta(hours=24)
    assert timezone.is_aware(invitation.expires_at)
