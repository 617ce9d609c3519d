"""`manage.py create_practice`: a real practice's first day, with DJANGO_DEBUG=0 as on a server."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from recovery import invitations
from recovery.celery import app as celery_app
from recovery.models import AuditAction, AuditEvent, Invitation, Practice, Role
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _eager_tasks(monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


def create(**options) -> str:
    out = io.StringIO()
    arguments = {
        "name": "Bayside Counseling",
        "time_zone": "America/Chicago",
        "admin_email": "Avery@Bayside.example",
        "admin_name": "Avery Admin",
        **options,
    }
    call_command("create_practice", stdout=out, **arguments)
    return out.getvalue()


def test_it_creates_the_practice_and_prints_the_admins_one_time_link(
    db, django_capture_on_commit_callbacks, mailoutbox, settings, client
):
    settings.SITE_URL = "https://rb.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        out = create(sender_name="Bayside")
    practice = Practice.objects.get()
    assert (practice.name, practice.time_zone, practice.email_sender_name) == (
        "Bayside Counseling",
        "America/Chicago",
        "Bayside",
    )
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "avery@bayside.example",
        Role.ADMIN,
        None,
    )
    link = re.search(r"https://rb\.example\.org/welcome/\S+/", out).group(0)
    assert "72 hours" in out
    # The same link is emailed, and it works.
    assert link in mailoutbox[0].body
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert invitations.is_usable(invitations.invitation_for_token(token))
    assert client.get(link.removeprefix("https://rb.example.org")).status_code == 200
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, actor_identifier="create_practice", practice=practice
    ).exists()


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"time_zone": "Mars/Olympus"}, "not a known time zone"),
        ({"admin_email": "taken@example.org"}, "already has an account"),
        ({"name": "Harbor Counseling"}, "exists already"),
        ({"admin_email": "not an address"}, "email"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(practice, options, complaint):
    UserFactory(practice=practice, email="taken@example.org")
    before = Practice.objects.count()
    with pytest.raises(CommandError, match=complaint):
        create(**options)
    assert Practice.objects.count() == before
    assert not Invitation.objects.exists()
