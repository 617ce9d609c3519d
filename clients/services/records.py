"""A client's whole record: export to a recipient (a disclosure), erasure requests, deletion.

Substance-use treatment records have retention duties, so an erasure request restricts the
record instead of deleting it: the client is discharged, emails stop, contact details are
wiped, and nothing can edit it again. Only after the retention period (RECORD_RETENTION_DAYS,
counted from the discharge date) may a practice admin delete it; the audit trail outlives it.
Every function here is for a practice admin of the client's practice.
"""

import datetime
from collections import Counter
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import HttpRequest
from django.utils import timezone

from clients.models import (
    Addendum,
    Attendance,
    Client,
    ClientStatus,
    Disclosure,
    DisclosureFormat,
    LadderMove,
    LadderStep,
    MeasureRequest,
    MeasureSchedule,
    MeetingPlan,
    NoteTheme,
    OutcomeMeasure,
    RecordSection,
    Reminder,
    SessionNote,
)
from clients.selectors import Need
from clients.services.clients import client_update
from clients.services.common import ensure_access
from clients.services.reminders import reminders_cancel
from recovery.models import AuditAction, User
from recovery.services import audit

# The statement 42 CFR 2.32(a)(1) ("Statement 1") requires with each disclosure of a Part 2
# record made with the patient's written consent, word for word as amended by the 2024 final
# rule: 89 FR 12472 (February 16, 2024; effective April 16, 2024, compliance from February 16,
# 2026). Source: eCFR, 42 CFR 2.32, "Notice and copy of consent to accompany disclosure",
# https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2/subpart-C/section-2.32
# Items (i) to (iii) are run into one paragraph here; their words are the rule's. Statement 2,
# the short form, would also do; the full one tells a recipient what they may and may not do.
# It goes with every export, in the file and on the printed page. 2.32(b) also asks for a copy
# of the consent or an explanation of its scope: that is the practice's to send (README).
PART2_NOTICE = (
    "This record which has been disclosed to you is protected by Federal confidentiality "
    "rules (42 CFR part 2). These rules prohibit you from using or disclosing this record, or "
    "testimony that describes the information contained in this record, in any civil, "
    "criminal, administrative, or legislative proceedings by any Federal, State, or local "
    "authority, against the patient, unless authorized by the consent of the patient, except "
    "as provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR "
    "2.64 or 2.65. In addition, the Federal rules prohibit you from making any other use or "
    "disclosure of this record unless at least one of the following applies: "
    "(i) Further use or disclosure is expressly permitted by the written consent of the "
    "individual whose information is being disclosed in this record or as otherwise "
    "permitted by 42 CFR part 2. "
    "(ii) You are a covered entity or business associate and have received the record for "
    "treatment, payment, or health care operations, or "
    "(iii) You have received the record from a covered entity or business associate as "
    "permitted by 45 CFR part 164, subparts A and E. "
    "A general authorization for the release of medical or other information is NOT "
    "sufficient to meet the required elements of written consent to further use or "
    "redisclose the record (see 42 CFR 2.31)."
)
PART2_CITATION = "42 CFR 2.32(a)(1)"
EXPORT_SCHEMA = "recovery-bridge/client-record/1"


# --- Export and disclosure -----------------------------------------------------------------


@transaction.atomic
def client_record_disclose(
    *,
    actor: User,
    client: Client,
    recipient: str,
    purpose: str,
    sections: Iterable[str],
    format: str,
    request: HttpRequest | None = None,
) -> tuple[Disclosure, dict]:
    """Record the disclosure, audit it, and return it with the record to hand over.

    A restricted record can still be disclosed: the client's right of access and legal
    claims outlive an erasure request, and the purpose says which applies.
    """
    ensure_access(actor, client, Need.ADMIN)
    chosen = set(sections)
    sections = [key for key in RecordSection.values if key in chosen]  # in the record's order
    errors = {}
    if not recipient.strip():
        errors["recipient"] = "Say to whom the record goes."
    if not purpose.strip():
        errors["purpose"] = "Say why the record is disclosed."
    if not sections:
        errors["sections"] = "Choose what the export includes."
    if format not in DisclosureFormat.values:
        errors["format"] = "Choose a format."
    if errors:
        raise ValidationError(errors)
    disclosure = Disclosure.objects.create(
        client=client,
        practice=client.practice,
        made_by=actor,
        recipient=recipient.strip(),
        purpose=purpose.strip(),
        sections=sections,
        format=format,
    )
    # The record left the system (EXPORT, on the client) and went to someone (DISCLOSE, on
    # the disclosure row that says to whom and why).
    audit(action=AuditAction.EXPORT, actor=actor, client=client, request=request)
    audit(action=AuditAction.DISCLOSE, actor=actor, client=client, obj=disclosure, request=request)
    return disclosure, client_record_data(client=client, disclosure=disclosure)


# How long the printable page of an export stays available to the admin who made it.
PRINTED_COPY_KEPT = datetime.timedelta(hours=1)


def disclosure_printed_copy_keep(*, disclosure: Disclosure, html: str) -> None:
    """Keep the printable page as disclosed: opened again, it shows what left the practice
    then, not the record as it has since become."""
    disclosure.printed_copy = html
    disclosure.save(update_fields=["printed_copy"])


def printed_copies_expire(*, now: datetime.datetime) -> int:
    """Empty the printed copies older than PRINTED_COPY_KEPT (a beat task, every few minutes):
    the record itself stays the one place its content lives."""
    return Disclosure.objects.filter(
        printed_copy__isnull=False, made_at__lt=now - PRINTED_COPY_KEPT
    ).update(printed_copy=None)


def _person(user: User | None) -> str:
    return user.full_name if user is not None else ""


def client_record_data(*, client: Client, disclosure: Disclosure) -> dict:
    """The sections of the record the disclosure names, as plain data (dates stay dates).

    A fixed number of queries whatever the size of the record.
    """
    sections = set(disclosure.sections)
    data: dict = {
        "schema": EXPORT_SCHEMA,
        "notice": {"citation": PART2_CITATION, "text": PART2_NOTICE},
        "disclosure": {
            "id": disclosure.pk,
            "made_at": disclosure.made_at,
            "made_by": _person(disclosure.made_by),
            "recipient": disclosure.recipient,
            "purpose": disclosure.purpose,
            "format": disclosure.format,
            "included": [RecordSection(key).label for key in disclosure.sections],
        },
        "practice": {"name": client.practice.name},
        "client": {"id": client.pk, "preferred_name": client.preferred_name},
    }
    if RecordSection.PROFILE in sections:
        data["client"].update(
            {
                "therapist": _person(client.primary_therapist),
                "contact_email": client.contact_email,
                "time_zone": client.time_zone,
                "substances": client.substances,
                "stage_of_change": client.get_stage_of_change_display(),
                "status": client.get_status_display(),
                "discharged_on": client.discharged_on,
                "notes": client.notes,
                "meeting_preferences": {
                    "attendance": client.get_attendance_preference_display(),
                    "program": client.get_program_preference_display(),
                    "group": client.get_group_preference_display(),
                    "lgbtq_meetings": client.prefers_lgbtq_meetings,
                    "language": client.language,
                    "available_days": client.available_days,
                    "available_from": client.available_from,
                    "available_until": client.available_until,
                },
                "erasure_requested_on": client.erasure_requested_on,
                "restricted_at": client.restricted_at,
                "created_at": client.created_at,
            }
        )
    if sections & {RecordSection.NOTES, RecordSection.THEMES}:
        notes = list(
            SessionNote.objects.filter(client=client)
            .select_related("author", "signed_by")
            .prefetch_related(
                Prefetch("note_themes", NoteTheme.objects.select_related("theme")),
                Prefetch("addenda", Addendum.objects.select_related("author")),
            )
            .order_by("session_date", "id")
        )
        if RecordSection.NOTES in sections:
            data["session_notes"] = [_note_data(note) for note in notes]
        if RecordSection.THEMES in sections:
            data["themes_voiced"] = [
                {
                    "session_date": note.session_date,
                    "theme": note_theme.theme.name,
                    "intensity": note_theme.intensity,
                }
                for note in notes
                for note_theme in note.note_themes.all()
            ]
    if RecordSection.LADDER in sections:
        data["ladder_moves"] = [
            {
                "step": move.step,
                "label": LadderStep(move.step).label,
                "reached_on": move.reached_on,
                "comment": move.comment,
                "recorded_by": _person(move.recorded_by),
            }
            for move in LadderMove.objects.filter(client=client)
            .select_related("recorded_by")
            .order_by("reached_on", "created_at", "id")
        ]
    if RecordSection.PLANS in sections:
        plans = (
            MeetingPlan.objects.filter(client=client)
            .select_related("meeting__program")
            .prefetch_related(
                Prefetch("attendances", Attendance.objects.order_by("occurrence_start"))
            )
            .order_by("starts_on", "id")
        )
        data["meeting_plans"] = [
            {
                "meeting": plan.meeting.name,
                "program": plan.meeting.program.name,
                "recurrence": plan.get_recurrence_display(),
                "starts_on": plan.starts_on,
                "until": plan.until,
                "ended_at": plan.cancelled_at,
                "attendance": [
                    {
                        "occurrence_start": attendance.occurrence_start,
                        "status": attendance.get_status_display(),
                        "reason": attendance.get_reason_display() if attendance.reason else "",
                        "note": attendance.note,
                        "reported_by": attendance.get_reported_by_display()
                        if attendance.reported_by
                        else "",
                        "reported_at": attendance.reported_at,
                    }
                    for attendance in plan.attendances.all()
                ],
            }
            for plan in plans
        ]
    if RecordSection.OUTCOMES in sections:
        data["outcome_measures"] = [
            {
                "instrument": measure.get_instrument_display(),
                "administered_on": measure.administered_on,
                "total": measure.total,
                "subscales": measure.subscales,
                "band": measure.band,
                "safety_flag": measure.safety_flag,
                "source": measure.get_source_display(),
                "responses": measure.responses,
            }
            for measure in OutcomeMeasure.objects.filter(client=client).order_by(
                "administered_on", "id"
            )
        ]
    if RecordSection.REMINDERS in sections:
        # A summary, not the emails: how many of each kind ended how, and when the last went.
        rows = list(Reminder.objects.of_client(client).values_list("kind", "status", "sent_at"))
        sent = [sent_at for _kind, _status, sent_at in rows if sent_at is not None]
        data["reminders"] = {
            "by_kind_and_status": [
                {"kind": kind, "status": status, "count": count}
                for (kind, status), count in sorted(
                    Counter((kind, status) for kind, status, _sent in rows).items()
                )
            ],
            "last_sent_at": max(sent) if sent else None,
        }
    if RecordSection.CONSENT in sections:
        data["email_consent"] = {
            "consented_at": client.email_consent_at,
            "recorded_by": _person(client.email_consent_recorded_by),
            "wording": client.email_consent_text,
            "withdrawn_at": client.email_consent_withdrawn_at,
            "withdrawn_by_client": client.email_consent_withdrawn_by_client,
        }
    if RecordSection.DISCLOSURES in sections:
        data["earlier_disclosures"] = [
            {
                "made_at": earlier.made_at,
                "made_by": _person(earlier.made_by),
                "recipient": earlier.recipient,
                "purpose": earlier.purpose,
                "format": earlier.get_format_display(),
                "included": earlier.section_labels(),
            }
            for earlier in client.disclosures.defer("printed_copy")
            .filter(
                Q(made_at__lt=disclosure.made_at)
                | Q(made_at=disclosure.made_at, pk__lt=disclosure.pk)
            )
            .select_related("made_by")
            .order_by("made_at", "id")
        ]
    return data


def _note_data(note: SessionNote) -> dict:
    return {
        "id": note.pk,
        "session_date": note.session_date,
        "duration_minutes": note.duration_minutes,
        "format": note.get_format_display(),
        "status": note.get_status_display(),
        "author": _person(note.author),
        "signed_at": note.signed_at,
        "signed_by": _person(note.signed_by),
        "stage_of_change": note.get_stage_of_change_display() if note.stage_of_change else "",
        "craving_reported": note.craving_reported,
        "lapse_reported": note.lapse_reported,
        "sections": [
            {"key": key, "label": label, "text": text} for key, label, text in note.section_items()
        ],
        "next_steps": note.next_steps,
        "themes": [
            {"theme": note_theme.theme.name, "intensity": note_theme.intensity}
            for note_theme in note.note_themes.all()
        ],
        "addenda": [
            {
                "created_at": addendum.created_at,
                "author": _person(addendum.author),
                "text": addendum.text,
            }
            for addendum in note.addenda.all()
        ],
    }


# --- Erasure request: restrict, do not delete ----------------------------------------------


@transaction.atomic
def client_restrict(
    *,
    actor: User,
    client: Client,
    requested_on: datetime.date,
    request: HttpRequest | None = None,
) -> Client:
    """Record an erasure request: discharge, stop every email, wipe contact details, freeze."""
    ensure_access(actor, client, Need.ADMIN)
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.is_restricted:
        raise ValidationError("This record is already restricted.")
    today = timezone.localdate()
    if requested_on > today:
        raise ValidationError({"requested_on": "The request cannot be dated in the future."})
    # The ordinary discharge path: it validates, cancels what is queued and audits the update.
    client = client_update(
        actor=actor,
        client=client,
        request=request,
        status=ClientStatus.DISCHARGED,
        discharged_on=client.discharged_on or today,
        contact_email="",
        notes="",
        latitude=None,
        longitude=None,
        max_distance_km=None,
    )
    now = timezone.now()
    # The consent is withdrawn here rather than through email_consent_withdraw, which is for
    # the client's own therapist or the client's link; the admin is neither. Same fields.
    if client.email_consent_at is not None and client.email_consent_withdrawn_at is None:
        client.email_consent_withdrawn_at = now
        client.email_consent_withdrawn_by_client = False
    client.erasure_requested_on = requested_on
    client.restricted_at = now
    client.restricted_by = actor
    # No full_clean: Client.clean refuses any change to a restricted record, this one included.
    client.save(
        update_fields=[
            "email_consent_withdrawn_at",
            "email_consent_withdrawn_by_client",
            "erasure_requested_on",
            "restricted_at",
            "restricted_by",
            "updated_at",
        ]
    )
    reminders_cancel(client=client)
    # A mail server's error text may have quoted the address that was just wiped.
    Reminder.objects.of_client(client).exclude(last_error="").update(last_error="")
    audit(action=AuditAction.RESTRICT, actor=actor, client=client, request=request)
    return client


# --- Deletion after the retention period ---------------------------------------------------


def retention_ends_on(client: Client) -> datetime.date | None:
    """The first day a discharged record may be deleted; None while the client is active."""
    if client.discharged_on is None:
        return None
    try:
        return client.discharged_on + datetime.timedelta(days=settings.RECORD_RETENTION_DAYS)
    except OverflowError:  # a discharge typed far in the future: never, in practice
        return datetime.date.max


def deletion_refusal(client: Client, *, today: datetime.date) -> str:
    """Why this record cannot be deleted today, or "" when it can."""
    if not client.is_restricted:
        return "Only a record restricted by an erasure request can be deleted."
    ends_on = retention_ends_on(client)
    if today < ends_on:
        return (
            f"This record must be kept until {ends_on:%B} {ends_on.day}, {ends_on.year}: "
            f"{settings.RECORD_RETENTION_DAYS} days after the discharge on "
            f"{client.discharged_on:%B} {client.discharged_on.day}, {client.discharged_on.year}."
        )
    return ""


@transaction.atomic
def client_delete(*, actor: User, client: Client, request: HttpRequest | None = None) -> None:
    """Delete a restricted record and its clinical rows once its retention period is over.

    The audit events about the client stay: they name it by id without a database link.
    """
    ensure_access(actor, client, Need.ADMIN)
    client = Client.objects.select_for_update().get(pk=client.pk)
    refusal = deletion_refusal(client, today=timezone.localdate())
    if refusal:
        raise ValidationError(refusal)
    # Recorded first, while the row it names still exists; the same transaction either way.
    audit(action=AuditAction.DELETE, actor=actor, client=client, request=request)
    # Children before parents: the clinical models protect their client from a stray cascade,
    # so this is the one place that removes them, deliberately and all together. Queryset
    # deletes do not go through SessionNote.delete, which refuses signed notes one by one.
    Reminder.objects.of_client(client).delete()
    Attendance.objects.filter(plan__client=client).delete()
    MeetingPlan.objects.filter(client=client).delete()
    Addendum.objects.filter(note__client=client).delete()
    SessionNote.objects.filter(client=client).delete()  # note themes cascade
    LadderMove.objects.filter(client=client).delete()
    OutcomeMeasure.objects.filter(client=client).delete()  # before the requests they answer
    MeasureRequest.objects.filter(client=client).delete()
    MeasureSchedule.objects.filter(client=client).delete()
    # The accounting of disclosures outlives the record (Disclosure.client is emptied), but
    # not a copy of the record's content.
    Disclosure.objects.filter(client=client).update(printed_copy=None)
    client.delete()
