"""A practice admin's Django admin shows their own practice only."""

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone

from recovery.models import AuditAction, AuditEvent
from tests.factories import ClientFactory, PracticeFactory, SessionNoteFactory, UserFactory


@pytest.fixture
def foreign_client(db):
    return ClientFactory(
        primary_therapist=UserFactory(practice=PracticeFactory(name="Other"), full_name="Zed"),
        preferred_name="Foreigner",
    )


def test_client_list_holds_only_the_admins_practice(
    as_user, practice_admin, client_record, foreign_client
):
    body = as_user(practice_admin).get(reverse("admin:clients_client_changelist")).content.decode()
    assert client_record.preferred_name in body
    assert "Foreigner" not in body


def test_another_practices_client_is_not_reachable(as_user, practice_admin, foreign_client):
    browser = as_user(practice_admin)
    for name in ("change", "delete", "history"):
        url = reverse(f"admin:clients_client_{name}", args=[foreign_client.pk])
        assert browser.get(url).status_code == 404, name
        assert browser.post(url, {"post": "yes"}).status_code == 404, name
    foreign_client.refresh_from_db()
    assert not AuditEvent.objects.filter(client=foreign_client).exists()


def test_reading_a_client_in_the_admin_is_audited(as_user, practice_admin, client_record):
    url = reverse("admin:clients_client_change", args=[client_record.pk])
    assert as_user(practice_admin).get(url).status_code == 200
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, client=client_record, actor=practice_admin
    ).exists()


def test_therapist_choices_exclude_other_practices(
    as_user, practice_admin, therapist, foreign_client
):
    # Users are the admin's to manage; a new user's practice can only be the admin's own.
    body = as_user(practice_admin).get(reverse("admin:recovery_user_add")).content.decode()
    assert practice_admin.practice.name in body
    assert foreign_client.practice.name not in body


def test_users_and_audit_events_are_scoped(as_user, practice_admin, foreign_client, therapist):
    browser = as_user(practice_admin)
    users = browser.get(reverse("admin:recovery_user_changelist")).content.decode()
    assert therapist.email in users
    assert foreign_client.primary_therapist.email not in users
    audit = browser.get(reverse("admin:recovery_auditevent_changelist"))
    assert audit.status_code == 200


def test_audit_events_are_read_only_in_the_admin(as_user, practice_admin):
    browser = as_user(practice_admin)  # signing in writes the event we then try to change
    event = AuditEvent.objects.filter(actor=practice_admin).first()
    url = reverse("admin:recovery_auditevent_change", args=[event.pk])
    response = browser.post(url, {"action": "delete"})
    assert response.status_code == 403
    delete = reverse("admin:recovery_auditevent_delete", args=[event.pk])
    assert browser.post(delete, {"post": "yes"}).status_code == 403


def test_signed_notes_are_read_only_in_the_admin(as_user, practice_admin, therapist, client_record):
    import datetime

    note = SessionNoteFactory(
        client=client_record,
        status="signed",
        signed_by=therapist,
        signed_at=datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC),
    )
    url = reverse("admin:clients_sessionnote_change", args=[note.pk])
    response = as_user(practice_admin).post(url, {"session_date": "2020-01-01"})
    assert response.status_code == 403


# --- Clinical rows are read here; the operator's account is out of reach ----------------------


@pytest.mark.parametrize(
    "name", ["client", "sessionnote", "laddermove", "meetingplan", "attendance", "reminder"]
)
def test_clinical_rows_cannot_be_added_changed_or_deleted_in_the_admin(
    as_user, practice_admin, therapist, client_record, name
):
    from clients.models import Attendance, Reminder
    from tests.factories import AttendanceFactory, LadderMoveFactory, MeetingPlanFactory

    plan = MeetingPlanFactory(client=client_record)
    rows = {
        "client": client_record,
        "sessionnote": SessionNoteFactory(client=client_record),
        "laddermove": LadderMoveFactory(client=client_record, step=2),
        "meetingplan": plan,
        "attendance": AttendanceFactory(plan=plan),
        "reminder": Reminder.objects.create(
            plan=plan, occurrence_start=plan.created_at, kind="checkin", due_at=plan.created_at
        ),
    }
    row = rows[name]
    browser = as_user(practice_admin)
    change = reverse(f"admin:clients_{name}_change", args=[row.pk])
    assert browser.get(change).status_code == 200  # to read
    assert browser.post(change, {"preferred_name": "Changed", "step": "8"}).status_code == 403
    assert browser.get(reverse(f"admin:clients_{name}_add")).status_code == 403
    delete = reverse(f"admin:clients_{name}_delete", args=[row.pk])
    assert browser.post(delete, {"post": "yes"}).status_code == 403
    assert type(row).objects.filter(pk=row.pk).exists()
    assert Attendance.objects.count() == 1


def test_an_erasure_restriction_cannot_be_lifted_in_the_admin(
    as_user, practice_admin, client_record
):
    from clients.services.records import client_restrict

    client_restrict(actor=practice_admin, client=client_record, requested_on=timezone.localdate())
    url = reverse("admin:clients_client_change", args=[client_record.pk])
    response = as_user(practice_admin).post(
        url,
        {
            "restricted_at": "",
            "erasure_requested_on": "",
            "status": "active",
            "contact_email": "x@example.net",
        },
    )
    assert response.status_code == 403
    client_record.refresh_from_db()
    assert client_record.is_restricted and client_record.contact_email == ""


def test_opening_a_note_in_the_admin_is_audited_and_shows_no_form(
    as_user, practice_admin, client_record
):
    note = SessionNoteFactory(client=client_record)
    url = reverse("admin:clients_sessionnote_change", args=[note.pk])
    response = as_user(practice_admin).get(url)
    assert response.status_code == 200
    assert 'name="section_' not in response.content.decode()
    assert '<input type="submit"' not in response.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, client_id=client_record.pk, actor=practice_admin
    ).exists()


def test_a_practice_admin_cannot_reach_the_operators_account_or_its_devices(
    as_user, practice_admin
):
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    operator = UserFactory(
        practice=practice_admin.practice, is_superuser=True, is_staff=True, email="op@example.org"
    )
    totp = TOTPDevice.objects.create(user=operator, name="Operator's phone")
    backup = StaticDevice.objects.create(user=operator, name="Backup codes")
    browser = as_user(practice_admin)

    users = browser.get(reverse("admin:recovery_user_changelist")).content.decode()
    assert "op@example.org" not in users and practice_admin.email in users
    password = reverse("admin:auth_user_password_change", args=[operator.pk]).replace(
        "auth/user", "recovery/user"
    )
    assert browser.get(password).status_code == 404
    assert browser.post(password, {"password1": "x" * 20, "password2": "x" * 20}).status_code == 404
    assert browser.get(reverse("admin:recovery_user_change", args=[operator.pk])).status_code == 404
    for device, name in ((totp, "otp_totp_totpdevice"), (backup, "otp_static_staticdevice")):
        listing = browser.get(reverse(f"admin:{name}_changelist")).content.decode()
        assert "Operator" not in listing
        delete = reverse(f"admin:{name}_delete", args=[device.pk])
        assert browser.post(delete, {"post": "yes"}).status_code == 404
        assert type(device).objects.filter(pk=device.pk).exists()
    operator.refresh_from_db()
    assert operator.check_password("x" * 20) is False


def test_outcome_measures_are_read_only_in_the_admin_scored_by_code_elsewhere(
    as_user, practice_admin, client_record
):
    from clients.models import OutcomeMeasure
    from clients.services import outcome_measure_store

    measure = outcome_measure_store(
        client=client_record,
        instrument="readiness_ruler",
        responses={"importance": 7, "confidence": 4},
        administered_on=timezone.localdate(),
        source="therapist",
        entered_by=client_record.primary_therapist,
    )
    browser = as_user(practice_admin)
    add = reverse("admin:clients_outcomemeasure_add")
    assert browser.post(add, {"client": client_record.pk, "instrument": "bam"}).status_code == 403
    change = reverse("admin:clients_outcomemeasure_change", args=[measure.pk])
    page = browser.get(change)
    assert page.status_code == 200
    # The answers are the therapist's to read on the client's page, not the admin's.
    assert "Responses" not in page.content.decode()
    assert "Subscales" in page.content.decode()
    assert browser.post(change, {"band": "x"}).status_code == 403
    delete = reverse("admin:clients_outcomemeasure_delete", args=[measure.pk])
    assert browser.post(delete, {"post": "yes"}).status_code == 403
    assert OutcomeMeasure.objects.get().subscales == {"importance": 7, "confidence": 4}


# --- Lists edited one item per line ----------------------------------------------------------


def post_data_of(page) -> dict:
    """What the admin change page's form would post back unchanged, as a browser sends it."""
    form = page.context["adminform"].form
    data = {}
    for field in form:
        value = field.value()  # as the widget shows it: a list field as lines
        if isinstance(field.field, forms.BooleanField):
            if value:
                data[field.html_name] = "on"
        elif value is not None:
            data[field.html_name] = value
    return data


def test_a_theme_is_added_with_its_lists_typed_one_per_line(as_user, practice_admin):
    from clients.models import ResistanceTheme

    response = as_user(practice_admin).post(
        reverse("admin:clients_resistancetheme_add"),
        {
            "practice": practice_admin.practice.pk,
            "slug": "shift-work",
            "name": "Shift work",
            "description": "Works nights; meetings fall in sleeping hours.",
            "questions": "When are you awake and free?\r\n\r\nWho else works nights?\r\n",
            "reframes": "Recovery can fit around a rota.",
            "meeting_features": "attendance:online\r\ntype:BE, program:secular",
            "position": "200",
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    theme = ResistanceTheme.objects.get(slug="shift-work")
    assert theme.questions == ["When are you awake and free?", "Who else works nights?"]
    assert theme.reframes == ["Recovery can fit around a rota."]
    assert theme.meeting_features == ["attendance:online", "type:BE", "program:secular"]


def test_a_themes_lists_show_as_lines_and_a_bad_feature_is_named(as_user, practice_admin):
    from clients.models import ResistanceTheme

    theme = ResistanceTheme.objects.create(
        practice=practice_admin.practice,
        slug="shift-work",
        name="Shift work",
        description="Works nights.",
        questions=["When are you free?", "Who else works nights?"],
        reframes=["Recovery can fit around a rota."],
        meeting_features=["attendance:online", "type:BE"],
    )
    browser = as_user(practice_admin)
    url = reverse("admin:clients_resistancetheme_change", args=[theme.pk])

    page = browser.get(url)
    body = page.content.decode()
    assert "When are you free?\nWho else works nights?</textarea>" in body
    assert "attendance:online\ntype:BE</textarea>" in body
    assert "[&quot;When" not in body  # no JSON to edit by hand

    data = post_data_of(page) | {"meeting_features": "attendance:online\nattendance:by-bus"}
    refused = browser.post(url, data)
    assert refused.status_code == 200
    assert "“attendance:by-bus”: Attendance is one of" in refused.content.decode()
    theme.refresh_from_db()
    assert theme.meeting_features == ["attendance:online", "type:BE"]

    assert browser.post(url, post_data_of(page) | {"reframes": "A\nB"}).status_code == 302
    theme.refresh_from_db()
    assert theme.reframes == ["A", "B"]
    assert theme.questions == ["When are you free?", "Who else works nights?"]


def test_every_curated_themes_features_pass_the_admins_check(db):
    from clients.models import ResistanceTheme
    from groups.features import validate_feature_token

    tokens = {
        token
        for features in ResistanceTheme.objects.values_list("meeting_features", flat=True)
        for token in features
    }
    assert tokens
    for token in tokens:
        validate_feature_token(token)


def test_a_meetings_types_and_regions_are_edited_as_lines(as_user, practice):
    from tests.factories import MeetingFactory

    operator = UserFactory(practice=practice, role="admin", is_staff=True, is_superuser=True)
    meeting = MeetingFactory(types=["O", "D"], feed_regions=["Cumberland County", "Portland"])
    browser = as_user(operator)
    url = reverse("admin:groups_meeting_change", args=[meeting.pk])

    page = browser.get(url)
    body = page.content.decode()
    assert "O\nD</textarea>" in body
    assert "Cumberland County\nPortland</textarea>" in body

    data = post_data_of(page) | {"types": "O, BE\nW", "feed_regions": "Cumberland County"}
    response = browser.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    meeting.refresh_from_db()
    assert meeting.types == ["O", "BE", "W"]
    assert meeting.feed_regions == ["Cumberland County"]

    refused = browser.post(url, data | {"types": "O\nnot a code"})
    assert refused.status_code == 200
    assert "“not a code”: A type is a code such as O, BE or W." in refused.content.decode()


def test_a_clients_lists_read_as_words_in_the_admin(as_user, practice_admin, client_record):
    client_record.substances = ["alcohol", "cannabis"]
    client_record.available_days = [1, 3]
    client_record.save()

    page = as_user(practice_admin).get(
        reverse("admin:clients_client_change", args=[client_record.pk])
    )

    body = page.content.decode()
    assert '<div class="readonly">Alcohol, Cannabis</div>' in body
    assert '<div class="readonly">Monday, Wednesday</div>' in body
    assert "[&quot;alcohol" not in body and "[1, 3]" not in body
