"""A practice admin's record pages: export as a disclosure, erasure request, deletion."""

import datetime
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from clients.models import (
    Addendum,
    Attendance,
    AttendanceStatus,
    Client,
    ClientStatus,
    Disclosure,
    LadderMove,
    MeasureRequest,
    MeasureSchedule,
    MeasureSource,
    MeetingPlan,
    RecordSection,
    Reminder,
    ReminderKind,
    ReminderStatus,
    ReportedBy,
    ResistanceTheme,
    SessionNote,
)
from clients.services import (
    addendum_create,
    email_consent_record,
    session_note_create,
    session_note_sign,
)
from clients.services.outcomes import outcome_measure_store
from clients.services.records import (
    PART2_NOTICE,
    client_delete,
    client_restrict,
    retention_ends_on,
)
from clients.services.reminders import reminders_dispatch, reminders_plan
from recovery.models import AuditAction, AuditEvent, Role
from tests.factories import (
    AttendanceFactory,
    LadderMoveFactory,
    PracticeFactory,
    UserFactory,
)

UTC = datetime.UTC
# Every test here runs on this day (a Monday), unless it travels on past the retention period.
NOW = datetime.datetime(2026, 4, 6, 15, 0, tzinfo=UTC)
TODAY = datetime.date(2026, 4, 6)
RECORD_PAGES = ("record_export", "record_disclosures", "record_erasure", "record_delete")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def other_admin(db):
    return UserFactory(practice=PracticeFactory(name="Elsewhere"), role=Role.ADMIN, is_staff=True)


@pytest.fixture
def full_record(consenting_client, therapist, make_plan):
    """A client with one of everything: a signed note with an addendum and a theme, a draft,
    a ladder move, a plan with attendance and reminders, consent to email."""
    client = consenting_client
    theme = ResistanceTheme.objects.filter(practice=None).first()
    note = session_note_create(
        actor=therapist,
        client=client,
        session_date=TODAY - datetime.timedelta(days=7),
        sections={
            "data": "Spoke about the Tuesday group.",
            "assessment": "Ambivalent.",
            "plan": "Listen online.",
        },
        themes={theme: 3},
        next_steps="Try a meeting with the camera off.",
    )
    note = session_note_sign(actor=therapist, note=note)
    addendum_create(actor=therapist, note=note, text="Correction: it was the Thursday group.")
    session_note_create(
        actor=therapist, client=client, session_date=TODAY, sections={"data": "Draft so far."}
    )
    LadderMoveFactory(client=client, step=2, reached_on=TODAY - datetime.timedelta(days=3))
    plan = make_plan(client=client, starts_on=TODAY - datetime.timedelta(days=14))
    AttendanceFactory(
        plan=plan,
        occurrence_start=datetime.datetime(2026, 3, 31, 23, 0, tzinfo=UTC),
        status=AttendanceStatus.ATTENDED,
        reported_by=ReportedBy.CLIENT,
        reported_at=datetime.datetime(2026, 4, 1, 1, 0, tzinfo=UTC),
    )
    reminders_plan(now=NOW)
    return client


PHQ9_ANSWERS = {**{str(n): 2 for n in range(1, 9)}, "9": 1}  # 17, moderately severe, flagged
# Use 1 (2 drinking days), Risk 7, Protective 20: day items scored in the BAM's bins.
BAM_ANSWERS = {
    **{"1": 2, "2": 5, "3": 0, "4": 2, "5": 0, "6": 0},
    **{f"7{letter}": 0 for letter in "ABCDEFG"},
    **{"8": 1, "9": 3, "10": 12, "11": 1, "12": 2, "13": 20, "14": "yes", "15": 1, "16": 30},
    "17": 3,
}
GAD7_ANSWERS = {str(n): 1 for n in range(1, 8)}  # 7, mild


@pytest.fixture
def measured_record(full_record, therapist):
    """The full record with outcome measures: a PHQ-9 and a BAM the therapist entered, and a
    GAD-7 the client answered from an emailed link."""
    common = {"client": full_record, "source": MeasureSource.THERAPIST, "entered_by": therapist}
    outcome_measure_store(
        instrument="phq9",
        responses=PHQ9_ANSWERS,
        administered_on=TODAY - datetime.timedelta(days=28),
        **common,
    )
    outcome_measure_store(
        instrument="bam",
        responses=BAM_ANSWERS,
        administered_on=TODAY - datetime.timedelta(days=14),
        **common,
    )
    schedule = MeasureSchedule.objects.create(
        client=full_record, instrument="gad7", every_days=30, created_by=therapist
    )
    request = MeasureRequest.objects.create(
        client=full_record,
        instrument="gad7",
        schedule=schedule,
        created_at=NOW - datetime.timedelta(days=2),
        expires_at=NOW + datetime.timedelta(days=5),
        completed_at=NOW - datetime.timedelta(days=1),
    )
    sent = NOW - datetime.timedelta(days=2)
    Reminder.objects.create(
        measure_request=request,
        kind=ReminderKind.MEASURE,
        due_at=sent,
        status=ReminderStatus.SENT,
        sent_at=sent,
    )
    outcome_measure_store(
        client=full_record,
        instrument="gad7",
        responses=GAD7_ANSWERS,
        administered_on=TODAY - datetime.timedelta(days=1),
        source=MeasureSource.CLIENT,
        measure_request=request,
    )
    return full_record


def export(browser, client, follow=False, **fields):
    data = {
        "recipient": "Dr. Lee, Riverside Treatment Center",
        "purpose": "Continuity of care, with the client's written consent of April 2.",
        "sections": RecordSection.values,
        "format": "json",
        **fields,
    }
    return browser.post(reverse("clients:record_export", args=[client.pk]), data, follow=follow)


def print_url(disclosure) -> str:
    return reverse("clients:record_disclosure_print", args=[disclosure.client_id, disclosure.pk])


# --- Scope: a practice admin's pages only -------------------------------------------------


@pytest.mark.parametrize("page", RECORD_PAGES)
@pytest.mark.parametrize("who", ["therapist", "colleague", "manager", "outsider", "other_admin"])
def test_record_pages_are_not_found_for_anyone_but_an_admin_of_the_practice(
    request, as_user, client_record, page, who
):
    browser = as_user(request.getfixturevalue(who))
    url = reverse(f"clients:{page}", args=[client_record.pk])

    assert browser.get(url).status_code == 404
    if page != "record_disclosures":  # a read-only page
        assert browser.post(url, {"confirm": "on", "requested_on": "2026-04-01"}).status_code == 404
    client_record.refresh_from_db()
    assert not client_record.is_restricted
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("page", RECORD_PAGES)
def test_an_admin_of_the_practice_opens_each_record_page(
    as_user, practice_admin, client_record, page
):
    response = as_user(practice_admin).get(reverse(f"clients:{page}", args=[client_record.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("page", RECORD_PAGES)
def test_opening_each_record_page_is_audited_as_a_read(
    as_user, practice_admin, client_record, page
):
    as_user(practice_admin).get(reverse(f"clients:{page}", args=[client_record.pk]))

    assert (
        AuditEvent.objects.filter(
            action=AuditAction.VIEW, client_id=client_record.pk, actor=practice_admin
        ).count()
        == 1
    )


def test_the_client_page_links_the_record_pages_for_an_admin_only(
    as_user, practice_admin, therapist, client_record
):
    export_url = reverse("clients:record_export", args=[client_record.pk])
    detail = reverse("clients:detail", args=[client_record.pk])

    assert export_url in as_user(practice_admin).get(detail).content.decode()
    assert export_url not in as_user(therapist).get(detail).content.decode()


# --- Export as a disclosure ----------------------------------------------------------------


def test_json_export_is_a_download_with_the_whole_record_and_the_part2_notice(
    as_user, practice_admin, full_record
):
    response = export(as_user(practice_admin), full_record)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]  # no copy left in a browser or proxy cache
    assert full_record.preferred_name not in response["Content-Disposition"]
    record = json.loads(response.content)
    assert record["notice"] == {"citation": "42 CFR 2.32(a)(1)", "text": PART2_NOTICE}
    assert "42 CFR part 2" in record["notice"]["text"]
    assert record["client"]["preferred_name"] == "Riley"
    assert record["client"]["contact_email"] == "riley@example.net"
    assert record["disclosure"]["recipient"] == "Dr. Lee, Riverside Treatment Center"
    signed, draft = record["session_notes"]
    assert (signed["status"], draft["status"]) == ("Signed", "Draft")
    assert {"key": "data", "label": "Data", "text": "Spoke about the Tuesday group."} in signed[
        "sections"
    ]
    assert signed["next_steps"] == "Try a meeting with the camera off."
    assert [a["text"] for a in signed["addenda"]] == ["Correction: it was the Thursday group."]
    assert signed["themes"][0]["intensity"] == 3
    assert record["themes_voiced"][0]["session_date"] == "2026-03-30"
    assert [move["step"] for move in record["ladder_moves"]] == [2]
    [plan] = record["meeting_plans"]
    assert [row["status"] for row in plan["attendance"]] == ["Attended"]
    assert sum(row["count"] for row in record["reminders"]["by_kind_and_status"]) == (
        Reminder.objects.filter(plan__client=full_record).count()
    )
    assert record["email_consent"]["consented_at"].startswith("2026-01-05")
    assert record["earlier_disclosures"] == []
    assert record["outcome_measures"] == []


def test_json_export_has_each_outcome_measure_with_its_score_who_answered_and_the_answers(
    as_user, practice_admin, measured_record
):
    record = json.loads(export(as_user(practice_admin), measured_record).content)

    phq9, bam, gad7 = record["outcome_measures"]  # oldest first
    assert {key: phq9[key] for key in ("instrument", "administered_on", "total", "band")} == {
        "instrument": "PHQ-9 (depression)",
        "administered_on": "2026-03-09",
        "total": 17,
        "band": "Moderately severe",
    }
    assert (phq9["subscales"], phq9["safety_flag"]) == ({}, True)
    assert phq9["source"] == "Entered by the therapist"
    assert phq9["responses"] == PHQ9_ANSWERS
    # No total and no band: the BAM is read by its subscales, and its answers are the raw
    # days and "yes", not the points they score.
    assert (bam["instrument"], bam["total"], bam["band"]) == (
        "Brief Addiction Monitor (BAM)",
        None,
        "",
    )
    assert bam["subscales"] == {"use": 1, "risk": 7, "protective": 20}
    assert (bam["safety_flag"], bam["source"]) == (False, "Entered by the therapist")
    assert bam["responses"] == BAM_ANSWERS
    assert (gad7["administered_on"], gad7["total"], gad7["band"]) == ("2026-04-05", 7, "Mild")
    assert gad7["source"] == "By the client"
    assert gad7["responses"] == GAD7_ANSWERS
    # The questionnaire's email is counted with the reminder emails.
    assert {"kind": "measure", "status": "sent", "count": 1} in record["reminders"][
        "by_kind_and_status"
    ]


def test_printable_export_shows_the_outcome_measures_and_who_answered_each(
    as_user, practice_admin, measured_record
):
    response = export(as_user(practice_admin), measured_record, format="html", follow=True)

    page = response.content.decode()
    section = page[page.index('id="outcomes-heading"') : page.index('id="reminders-heading"')]
    phq9, bam, gad7 = section.split("<tr>")[2:]  # after the heading row, oldest first
    assert "Mar 9, 2026" in phq9 and "PHQ-9 (depression)" in phq9
    assert "<td>17</td>" in phq9 and "Moderately severe (safety flag)" in phq9
    assert "Entered by the therapist" in phq9
    assert "Brief Addiction Monitor (BAM)" in bam and "Use 1, Risk 7, Protective 20" in bam
    assert "Entered by the therapist" in bam
    assert "Apr 5, 2026" in gad7 and "<td>7</td>" in gad7 and "Mild" in gad7
    assert "By the client" in gad7
    assert section.count("By the client") == 1


def test_each_export_is_recorded_as_a_disclosure_and_audited(as_user, practice_admin, full_record):
    browser = as_user(practice_admin)
    export(browser, full_record, format="json")
    export(browser, full_record, format="html", recipient="The client", sections=["notes"])

    first, second = Disclosure.objects.order_by("made_at", "id")
    assert (first.client, first.practice, first.made_by, first.format) == (
        full_record,
        full_record.practice,
        practice_admin,
        "json",
    )
    assert first.purpose.startswith("Continuity of care")
    assert (second.recipient, second.sections, second.format) == ("The client", ["notes"], "html")
    events = AuditEvent.objects.filter(client_id=full_record.pk, actor=practice_admin)
    assert events.filter(action=AuditAction.EXPORT).count() == 2
    assert sorted(
        events.filter(action=AuditAction.DISCLOSE).values_list("object_id", flat=True)
    ) == sorted([str(first.pk), str(second.pk)])


def test_a_later_export_lists_the_earlier_disclosures(as_user, practice_admin, full_record):
    browser = as_user(practice_admin)
    export(browser, full_record, recipient="First recipient")

    record = json.loads(export(browser, full_record, recipient="Second recipient").content)

    assert [row["recipient"] for row in record["earlier_disclosures"]] == ["First recipient"]


def test_an_export_holds_only_the_sections_chosen(as_user, practice_admin, full_record):
    record = json.loads(export(as_user(practice_admin), full_record, sections=["ladder"]).content)

    assert "ladder_moves" in record
    assert not {"session_notes", "email_consent", "meeting_plans", "outcome_measures"} & set(record)
    assert "contact_email" not in record["client"]  # the profile was not chosen
    assert record["notice"]["text"] == PART2_NOTICE  # the notice goes with every export


def test_printable_export_carries_the_notice_and_its_own_print_styles(
    as_user, practice_admin, full_record
):
    response = export(as_user(practice_admin), full_record, format="html", follow=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert "This record which has been disclosed to you is protected by Federal" in page
    assert page.count("42 CFR 2.32(a)(1)") == 2  # at the top and the bottom
    assert "css/print.css" in page
    assert "Spoke about the Tuesday group." in page
    assert "Correction: it was the Thursday group." in page
    assert 'style="' not in page and "<script" not in page
    assert Disclosure.objects.get().format == "html"


def test_refreshing_the_printable_export_records_no_second_disclosure(
    as_user, practice_admin, full_record
):
    browser = as_user(practice_admin)
    response = export(browser, full_record, format="html", recipient="The client")
    disclosure = Disclosure.objects.get()
    assert response.status_code == 302
    assert response.url == print_url(disclosure)

    for _ in range(2):  # the page, then a refresh of it
        page = browser.get(response.url)
        assert page.status_code == 200
        assert "Spoke about the Tuesday group." in page.content.decode()

    assert Disclosure.objects.count() == 1
    events = AuditEvent.objects.filter(client_id=full_record.pk, actor=practice_admin)
    assert events.filter(action=AuditAction.DISCLOSE).count() == 1
    assert events.filter(action=AuditAction.EXPORT).count() == 1
    # Each opening is a read of the record, on the disclosure it shows.
    assert events.filter(action=AuditAction.VIEW, object_id=str(disclosure.pk)).count() == 2


def test_a_printable_export_opened_again_shows_what_was_disclosed_then(
    as_user, practice_admin, therapist, full_record
):
    browser = as_user(practice_admin)
    export(browser, full_record, format="json", recipient="First recipient")
    export(browser, full_record, format="html", recipient="Second recipient")
    export(browser, full_record, format="json", recipient="Third recipient")
    printed = Disclosure.objects.get(format="html")

    session_note_create(
        actor=therapist,
        client=full_record,
        session_date=TODAY,
        sections={"data": "Written after the export."},
    )

    page = browser.get(print_url(printed)).content.decode()

    assert "First recipient" in page  # an earlier disclosure
    assert "Third recipient" not in page  # made after this one
    assert "Spoke about the Tuesday group." in page
    assert "Written after the export." not in page  # the record as it was disclosed


def test_printed_copies_are_emptied_once_their_hour_is_over(as_user, practice_admin, full_record):
    from clients.services.records import printed_copies_expire

    export(as_user(practice_admin), full_record, format="html")
    printed = Disclosure.objects.get()
    assert "Spoke about the Tuesday group." in printed.printed_copy
    assert printed_copies_expire(now=NOW + datetime.timedelta(minutes=59)) == 0
    assert printed_copies_expire(now=NOW + datetime.timedelta(minutes=61)) == 1
    printed.refresh_from_db()
    assert printed.printed_copy is None
    # The accounting of the disclosure stays.
    assert (printed.recipient, printed.format) == ("Dr. Lee, Riverside Treatment Center", "html")


def test_the_printable_page_is_for_its_maker_for_an_hour_and_html_exports_only(
    as_user, practice_admin, full_record
):
    browser = as_user(practice_admin)
    export(browser, full_record, format="html")
    export(browser, full_record, format="json")
    printed, downloaded = (
        Disclosure.objects.get(format="html"),
        Disclosure.objects.get(format="json"),
    )
    colleague = UserFactory(practice=practice_admin.practice, role=Role.ADMIN, is_staff=True)

    assert browser.get(print_url(downloaded)).status_code == 404
    assert as_user(colleague).get(print_url(printed)).status_code == 404
    disclosures = reverse("clients:record_disclosures", args=[full_record.pk])
    assert print_url(printed) in browser.get(disclosures).content.decode()
    # (A new sign-in each time: an hour is past the idle sign-out.)
    with time_machine.travel(NOW + datetime.timedelta(minutes=59), tick=False):
        assert as_user(practice_admin).get(print_url(printed)).status_code == 200
    with time_machine.travel(NOW + datetime.timedelta(minutes=61), tick=False):
        late = as_user(practice_admin).get(print_url(printed), follow=True)
        assert late.redirect_chain == [(disclosures, 302)]
        assert "export it again" in late.content.decode()
        assert print_url(printed) not in late.content.decode()
    assert Disclosure.objects.count() == 2


def test_an_export_without_recipient_or_purpose_is_refused_and_not_recorded(
    as_user, practice_admin, full_record
):
    response = export(as_user(practice_admin), full_record, recipient="  ", purpose="")

    assert response.status_code == 400
    assert not Disclosure.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSE).exists()


def test_an_export_with_an_unknown_section_or_format_is_refused(
    as_user, practice_admin, full_record
):
    browser = as_user(practice_admin)

    assert export(browser, full_record, sections=["everything"]).status_code == 400
    assert export(browser, full_record, format="pdf").status_code == 400
    assert not Disclosure.objects.exists()


def test_the_disclosures_page_lists_each_disclosure_and_is_audited(
    as_user, practice_admin, full_record
):
    browser = as_user(practice_admin)
    export(browser, full_record, recipient="Riverside <b>Center</b>")

    response = browser.get(reverse("clients:record_disclosures", args=[full_record.pk]))

    page = response.content.decode()
    assert "Riverside &lt;b&gt;Center&lt;/b&gt;" in page
    assert "Continuity of care" in page
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, client_id=full_record.pk, actor=practice_admin
    ).exists()


def test_export_queries_do_not_grow_with_the_record(
    practice_admin, full_record, therapist, django_assert_max_num_queries
):
    from clients.services.records import client_record_disclose

    def run():
        client_record_disclose(
            actor=practice_admin,
            client=full_record,
            recipient="R",
            purpose="P",
            sections=RecordSection.values,
            format="json",
        )

    with django_assert_max_num_queries(30) as small:
        run()
    for day in range(20):
        note = session_note_create(
            actor=therapist,
            client=full_record,
            session_date=TODAY - datetime.timedelta(days=30 + day),
            sections={"data": f"Session {day}"},
        )
        note = session_note_sign(actor=therapist, note=note)
        addendum_create(actor=therapist, note=note, text="More.")
        LadderMoveFactory(client=full_record, step=1 + day % 8)
        outcome_measure_store(
            client=full_record,
            instrument="gad7",
            responses=GAD7_ANSWERS,
            administered_on=note.session_date,
            source=MeasureSource.THERAPIST,
            entered_by=therapist,
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        run()


# --- Erasure request -------------------------------------------------------------------------


def restrict(browser, client, **fields):
    return browser.post(
        reverse("clients:record_erasure", args=[client.pk]),
        {"requested_on": "2026-04-03", "confirm": "on", **fields},
    )


def test_an_erasure_request_restricts_the_record_instead_of_deleting_it(
    as_user, practice_admin, full_record, mailoutbox
):
    queued = Reminder.objects.filter(plan__client=full_record, status=ReminderStatus.QUEUED)
    assert queued.exists()  # there was something to stop

    response = restrict(as_user(practice_admin), full_record)

    assert response.status_code == 302
    client = Client.objects.get(pk=full_record.pk)
    assert client.is_restricted
    assert (client.erasure_requested_on, client.restricted_at, client.restricted_by) == (
        datetime.date(2026, 4, 3),
        NOW,
        practice_admin,
    )
    assert (client.status, client.discharged_on) == (ClientStatus.DISCHARGED, TODAY)
    assert (client.contact_email, client.notes, client.latitude) == ("", "", None)
    assert client.email_consent_withdrawn_at == NOW and not client.has_email_consent
    assert not Reminder.objects.filter(
        plan__client=client, status__in=[ReminderStatus.QUEUED, ReminderStatus.SENDING]
    ).exists()
    # The clinical record is kept.
    assert SessionNote.objects.filter(client=client).count() == 2
    assert AuditEvent.objects.filter(
        action=AuditAction.RESTRICT, client_id=client.pk, actor=practice_admin
    ).exists()
    # Nothing goes out, now or later: no rows to send, none planned again.
    for hours in (0, 2, 30):
        with time_machine.travel(NOW + datetime.timedelta(hours=hours), tick=False):
            assert reminders_plan(now=timezone.now()) == 0
            reminders_dispatch(time_budget=5)
    assert mailoutbox == []


def test_an_erasure_request_empties_mail_errors_that_may_quote_the_address(
    as_user, practice_admin, full_record
):
    failed = Reminder.objects.filter(plan__client=full_record).first()
    Reminder.objects.filter(pk=failed.pk).update(
        status=ReminderStatus.FAILED, last_error="SMTPDataError: 550 riley@example.net refused"
    )

    restrict(as_user(practice_admin), full_record)

    failed.refresh_from_db()
    assert (failed.status, failed.last_error) == (ReminderStatus.FAILED, "")


def test_the_migration_redacts_addresses_already_in_mail_errors(full_record, therapist):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "clients.migrations.0010_redact_addresses_in_reminder_errors"
    )
    first, second = Reminder.objects.filter(plan__client=full_record)[:2]
    Reminder.objects.filter(pk=first.pk).update(
        last_error="SMTPRecipientsRefused: {'riley@example.net': (550, b'No such user')}"
    )
    Reminder.objects.filter(pk=second.pk).update(last_error="TimeoutError: timed out")

    migration.redact_reminder_errors(apps, None)

    first.refresh_from_db()
    second.refresh_from_db()
    # The quote and brace before the address go with it: over-matching is the safe way round.
    assert first.last_error == "SMTPRecipientsRefused: <address>': (550, b'No such user')}"
    assert second.last_error == "TimeoutError: timed out"


def test_a_restricted_client_cannot_be_edited_or_emailed(
    as_user, practice_admin, therapist, full_record
):
    restrict(as_user(practice_admin), full_record)
    client = Client.objects.get(pk=full_record.pk)
    edit = reverse("clients:edit", args=[client.pk])

    response = as_user(practice_admin).post(
        edit,
        {
            "preferred_name": "Riley",
            "primary_therapist": therapist.pk,
            "contact_email": "again@example.net",
            "time_zone": "America/New_York",
            "stage_of_change": "action",
            "status": "active",
            "attendance_preference": "any",
            "program_preference": "any",
        },
    )

    assert response.status_code == 200
    assert "restricted after an erasure request" in response.content.decode()
    client.refresh_from_db()
    assert (client.contact_email, client.status) == ("", ClientStatus.DISCHARGED)
    with pytest.raises(Exception, match="restricted"):
        email_consent_record(actor=therapist, client=client)
    client.refresh_from_db()
    assert not client.has_email_consent


def test_the_database_keeps_a_restricted_record_closed(practice_admin, full_record):
    from django.db import IntegrityError, transaction

    client = client_restrict(actor=practice_admin, client=full_record, requested_on=TODAY)

    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.filter(pk=client.pk).update(status=ClientStatus.ACTIVE, discharged_on=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.filter(pk=client.pk).update(email_consent_withdrawn_at=None)


def test_an_erasure_request_needs_the_confirmation_and_a_date_not_in_the_future(
    as_user, practice_admin, full_record
):
    browser = as_user(practice_admin)

    assert restrict(browser, full_record, confirm="").status_code == 400
    assert restrict(browser, full_record, requested_on="2026-04-07").status_code == 400
    assert restrict(browser, full_record, requested_on="not a date").status_code == 400
    full_record.refresh_from_db()
    assert not full_record.is_restricted and full_record.contact_email


def test_the_client_page_shows_a_restricted_badge(as_user, practice_admin, full_record):
    browser = as_user(practice_admin)
    restrict(browser, full_record)

    page = browser.get(reverse("clients:detail", args=[full_record.pk])).content.decode()

    assert 'id="restricted-badge"' in page
    assert reverse("clients:record_delete", args=[full_record.pk]) in page


# --- Deletion after the retention period ---------------------------------------------------


def delete(browser, client):
    return browser.post(reverse("clients:record_delete", args=[client.pk]), {"confirm": "on"})


def test_deletion_is_refused_during_the_retention_period(as_user, practice_admin, full_record):
    browser = as_user(practice_admin)
    restrict(browser, full_record)
    last_day = TODAY + datetime.timedelta(days=2554)

    with time_machine.travel(datetime.datetime.combine(last_day, datetime.time(12), UTC)):
        response = delete(as_user(practice_admin), full_record)  # a fresh sign-in, years later

    assert response.status_code == 400
    assert "must be kept until April" in response.content.decode()
    assert Client.objects.filter(pk=full_record.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.DELETE).exists()


def test_deletion_is_refused_for_a_record_that_is_not_restricted(
    as_user, practice_admin, full_record
):
    response = delete(as_user(practice_admin), full_record)

    assert response.status_code == 400
    assert "Only a record restricted by an erasure request" in response.content.decode()
    assert Client.objects.filter(pk=full_record.pk).exists()


def test_after_the_retention_period_an_admin_deletes_the_record_and_the_audit_trail_remains(
    as_user, practice_admin, full_record
):
    browser = as_user(practice_admin)
    export(browser, full_record, format="html")  # a printable copy, to be wiped
    restrict(browser, full_record)
    client_id = full_record.pk
    trail_before = set(AuditEvent.objects.filter(client_id=client_id).values_list("pk", flat=True))
    assert len(trail_before) > 5
    first_day = TODAY + datetime.timedelta(days=2555)

    with time_machine.travel(datetime.datetime.combine(first_day, datetime.time(12), UTC)):
        browser = as_user(practice_admin)  # a fresh sign-in, years later
        response = delete(browser, full_record)

    assert response.status_code == 302
    assert not Client.objects.filter(pk=client_id).exists()
    for model, path in (
        (SessionNote, "client_id"),
        (Addendum, "note__client_id"),
        (LadderMove, "client_id"),
        (MeetingPlan, "client_id"),
        (Attendance, "plan__client_id"),
        (Reminder, "plan__client_id"),
    ):
        assert not model.objects.filter(**{path: client_id}).exists(), model
    # The accounting of disclosures stays, without a link to the deleted record or a copy of
    # it; its DISCLOSE event still names the client's number.
    [kept] = Disclosure.objects.filter(practice=practice_admin.practice)
    assert (kept.client_id, kept.printed_copy, kept.recipient) == (
        None,
        None,
        "Dr. Lee, Riverside Treatment Center",
    )
    assert AuditEvent.objects.filter(
        action=AuditAction.DISCLOSE, client_id=client_id, object_id=str(kept.pk)
    ).exists()
    trail_after = set(AuditEvent.objects.filter(client_id=client_id).values_list("pk", flat=True))
    assert trail_before < trail_after
    assert AuditEvent.objects.filter(
        action=AuditAction.DELETE, client_id=client_id, actor=practice_admin
    ).exists()
    # The audit page still finds the trail of the deleted record by its number.
    page = browser.get(reverse("audit:log"), {"client": str(client_id)}).content.decode()
    assert f"no. {client_id}" in page and "(deleted)" in page


def test_a_record_with_a_questionnaire_answered_by_link_is_deleted_after_retention(
    settings, practice_admin, measured_record
):
    settings.RECORD_RETENTION_DAYS = 30
    client = client_restrict(actor=practice_admin, client=measured_record, requested_on=TODAY)

    with time_machine.travel(NOW + datetime.timedelta(days=30), tick=False):
        client_delete(actor=practice_admin, client=client)

    assert not Client.objects.filter(pk=client.pk).exists()
    assert not MeasureRequest.objects.filter(client_id=client.pk).exists()
    assert not MeasureSchedule.objects.filter(client_id=client.pk).exists()
    assert not Reminder.objects.filter(kind=ReminderKind.MEASURE).exists()


def test_the_retention_period_comes_from_the_settings(settings, practice_admin, full_record):
    settings.RECORD_RETENTION_DAYS = 30
    client = client_restrict(actor=practice_admin, client=full_record, requested_on=TODAY)

    assert retention_ends_on(client) == TODAY + datetime.timedelta(days=30)
    with time_machine.travel(NOW + datetime.timedelta(days=30), tick=False):
        client_delete(actor=practice_admin, client=client)
    assert not Client.objects.filter(pk=client.pk).exists()


def test_retention_counts_from_an_earlier_discharge(settings, practice_admin, full_record):
    Client.objects.filter(pk=full_record.pk).update(
        status=ClientStatus.DISCHARGED, discharged_on=datetime.date(2019, 1, 2)
    )
    full_record.refresh_from_db()

    client = client_restrict(actor=practice_admin, client=full_record, requested_on=TODAY)

    assert client.discharged_on == datetime.date(2019, 1, 2)
    assert retention_ends_on(client) == datetime.date(2025, 12, 31)
    client_delete(actor=practice_admin, client=client)
    assert not Client.objects.filter(pk=client.pk).exists()


def test_a_restricted_record_can_still_be_disclosed_without_its_wiped_details(
    as_user, practice_admin, full_record
):
    browser = as_user(practice_admin)
    restrict(browser, full_record)

    record = json.loads(export(browser, full_record, purpose="The client's access request").content)

    assert record["client"]["contact_email"] == ""
    assert record["client"]["restricted_at"].startswith("2026-04-06")
    assert len(record["session_notes"]) == 2  # the clinical record was kept
    assert Disclosure.objects.filter(client=full_record).count() == 1


def test_a_discharge_date_far_in_the_future_is_a_refusal_not_a_500(
    as_user, practice_admin, full_record
):
    browser = as_user(practice_admin)
    Client.objects.filter(pk=full_record.pk).update(
        status=ClientStatus.DISCHARGED, discharged_on=datetime.date(9999, 12, 1)
    )
    restrict(browser, full_record)

    response = delete(browser, full_record)

    assert response.status_code == 400
    assert "must be kept until December 31, 9999" in response.content.decode()


def test_the_erasure_page_of_a_restricted_record_sends_back_to_the_client(
    as_user, practice_admin, full_record
):
    browser = as_user(practice_admin)
    restrict(browser, full_record)

    response = restrict(browser, full_record)

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.RESTRICT).count() == 1


def test_no_clinical_content_is_added_to_a_restricted_record(
    practice_admin, therapist, full_record
):
    from django.core.exceptions import PermissionDenied, ValidationError

    from clients.services import attendance_record, ladder_move_record
    from clients.services.client_replies import reminder_answer_record

    plan = full_record.meeting_plans.get()
    reminder = plan.reminders.first()
    client = client_restrict(actor=practice_admin, client=full_record, requested_on=TODAY)
    plan, reminder = MeetingPlan.objects.get(pk=plan.pk), Reminder.objects.get(pk=reminder.pk)
    rows = (client.session_notes.count(), client.ladder_moves.count(), plan.attendances.count())

    with pytest.raises(PermissionDenied):
        session_note_create(actor=therapist, client=client, session_date=TODAY)
    with pytest.raises(PermissionDenied):
        ladder_move_record(actor=therapist, client=client, step=3, reached_on=TODAY)
    with pytest.raises(PermissionDenied):
        attendance_record(
            actor=therapist,
            plan=plan,
            occurrence_start=reminder.occurrence_start,
            status=AttendanceStatus.ATTENDED,
        )
    # A link in an email sent before the request: the client's click records nothing now.
    later = reminder.occurrence_start + datetime.timedelta(hours=3)
    with time_machine.travel(later), pytest.raises(ValidationError):
        reminder_answer_record(reminder=reminder, status=AttendanceStatus.ATTENDED)
    assert rows == (
        client.session_notes.count(),
        client.ladder_moves.count(),
        plan.attendances.count(),
    )
