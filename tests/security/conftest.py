"""Two complete practices: ours (the shared fixtures' `practice`) and a foreign one.

Every foreign row that can show text carries FOREIGN_MARK, so a walk can look for it in any
page: finding it anywhere means another practice's data leaked.
"""

import datetime
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.db import models
from django.utils import timezone

from clients.models import (
    Addendum,
    Attendance,
    AttendanceStatus,
    Client,
    Disclosure,
    LadderMove,
    MeetingPlan,
    NoteTheme,
    OutcomeMeasure,
    Reminder,
    ReminderKind,
    ReportedBy,
    ResistanceTheme,
    SessionNote,
)
from groups.models import Feed, Meeting, PublishedList, RecommendedMeeting
from recovery import invitations
from recovery.models import AuditAction, AuditEvent, Invitation, Practice, Role
from recovery.services import audit
from tests.factories import (
    AttendanceFactory,
    ClientFactory,
    LadderMoveFactory,
    MeetingFactory,
    MeetingPlanFactory,
    PracticeFactory,
    SessionNoteFactory,
    UserFactory,
)

FOREIGN_MARK = "xq7foreign"  # lower case: it is in email addresses too


@dataclass
class PracticeData:
    """One practice's staff and one of everything its client record holds."""

    practice: Practice
    therapist: object
    manager: object
    admin: object
    client: Client
    theme: ResistanceTheme
    note: SessionNote  # a draft: editable, so POSTs reach the view's logic
    signed_note: SessionNote
    addendum: Addendum
    note_theme: NoteTheme
    ladder_move: LadderMove
    plan: MeetingPlan
    attendance: Attendance
    reminder: Reminder
    outcome: OutcomeMeasure
    audit_event: AuditEvent
    disclosure: Disclosure
    invitation: Invitation
    extra: dict = field(default_factory=dict)

    def users(self) -> dict:
        return {"therapist": self.therapist, "manager": self.manager, "admin": self.admin}


def build_practice_data(
    *, practice, therapist, manager, admin, meeting: Meeting, mark: str = ""
) -> PracticeData:
    client = ClientFactory(
        primary_therapist=therapist,
        preferred_name=f"Robin {mark}".strip(),
        notes=f"Background {mark}",
        email_consent_at=timezone.now() - datetime.timedelta(days=30),
        email_consent_recorded_by=therapist,
        email_consent_text="I agree to receive reminder emails.",
    )
    theme = ResistanceTheme.objects.create(
        practice=practice,
        slug=f"own-theme-{practice.pk}",
        name=f"Own theme {mark}".strip(),
        description=f"A practice's own theme {mark}",
    )
    note = SessionNoteFactory(
        client=client,
        sections={"data": f"Draft text {mark}", "assessment": "", "plan": ""},
        next_steps=f"Next {mark}",
    )
    signed_note = SessionNoteFactory(client=client, sections={"data": f"Signed text {mark}"})
    SessionNote.objects.filter(pk=signed_note.pk).update(
        status="signed", signed_at=timezone.now(), signed_by=therapist
    )
    signed_note.refresh_from_db()
    addendum = Addendum.objects.create(
        note=signed_note, author=therapist, text=f"Addendum text {mark}"
    )
    note_theme = NoteTheme.objects.create(note=note, theme=theme, intensity=2)
    ladder_move = LadderMoveFactory(client=client, comment=f"Ladder {mark}")
    plan = MeetingPlanFactory(client=client, meeting=meeting)
    attendance = AttendanceFactory(
        plan=plan,
        occurrence_start=timezone.now() - datetime.timedelta(days=7),
        status=AttendanceStatus.MISSED,
        note=f"Attendance note {mark}",
        reported_by=ReportedBy.THERAPIST,
        reported_by_user=therapist,
        reported_at=timezone.now(),
    )
    start = timezone.now() - datetime.timedelta(days=1)
    reminder = Reminder.objects.create(
        plan=plan, occurrence_start=start, kind=ReminderKind.CHECKIN, due_at=start
    )
    outcome = OutcomeMeasure.objects.create(
        client=client,
        instrument="readiness_ruler",
        administered_on=timezone.localdate(),
        responses={"importance": 7, "confidence": 5},
        subscales={"importance": 7, "confidence": 5},
        entered_by=therapist,
    )
    audit_event = audit(action=AuditAction.VIEW, actor=therapist, client=client)
    disclosure = Disclosure.objects.create(
        client=client,
        practice=practice,
        made_by=admin,
        recipient=f"Recipient {mark}",
        purpose=f"Purpose {mark}",
        sections=["profile"],
        format="html",  # so its maker can open its printable page
    )
    invitation = Invitation.objects.create(
        practice=practice,
        email=f"invitee.{practice.pk}{mark}@example.org",
        full_name=f"Invitee {mark}".strip(),
        role=Role.THERAPIST,
        invited_by=admin,
        expires_at=timezone.now() + datetime.timedelta(days=1),
        token_hash=invitations.token_hash(f"token-{practice.pk}"),
    )
    return PracticeData(
        practice=practice,
        therapist=therapist,
        manager=manager,
        admin=admin,
        client=client,
        theme=theme,
        note=note,
        signed_note=signed_note,
        addendum=addendum,
        note_theme=note_theme,
        ladder_move=ladder_move,
        plan=plan,
        attendance=attendance,
        reminder=reminder,
        outcome=outcome,
        audit_event=audit_event,
        disclosure=disclosure,
        invitation=invitation,
        extra={
            # The practice's own catalogue work: a feed, a recommendation, its published list.
            "feed": Feed.objects.create(
                practice=practice,
                name=f"Own feed {mark}".strip(),
                format="meeting-guide",
                source=f"https://intergroup.example.org/{mark or 'ours'}.json",
            ),
            "recommended": RecommendedMeeting.objects.create(
                practice=practice, meeting=meeting, added_by=admin
            ),
            "published_list": PublishedList.objects.create(
                practice=practice,
                slug=f"list-{mark or 'ours'}",
                title=f"Recommended {mark}".strip(),
                is_published=True,
            ),
        },
    )


@dataclass
class World:
    ours: PracticeData
    theirs: PracticeData
    meeting: Meeting  # the shared catalogue: both practices plan the same meeting
    feed: Feed


@pytest.fixture
def world(practice, therapist, manager, practice_admin) -> World:
    feed = Feed.objects.create(name="Intergroup feed", format="meeting-guide", source="x.json")
    meeting = MeetingFactory(name="Shared catalogue meeting", feed=feed, source_key="k1")
    ours = build_practice_data(
        practice=practice,
        therapist=therapist,
        manager=manager,
        admin=practice_admin,
        meeting=meeting,
    )
    elsewhere = PracticeFactory(name=f"Elsewhere {FOREIGN_MARK}")
    theirs = build_practice_data(
        practice=elsewhere,
        therapist=UserFactory(
            practice=elsewhere,
            role=Role.THERAPIST,
            full_name=f"Terry {FOREIGN_MARK}",
            email=f"terry.{FOREIGN_MARK}@example.org",
        ),
        manager=UserFactory(
            practice=elsewhere,
            role=Role.MANAGER,
            full_name=f"Mel {FOREIGN_MARK}",
            email=f"mel.{FOREIGN_MARK}@example.org",
        ),
        admin=UserFactory(
            practice=elsewhere,
            role=Role.ADMIN,
            is_staff=True,
            full_name=f"Ash {FOREIGN_MARK}",
            email=f"ash.{FOREIGN_MARK}@example.org",
        ),
        meeting=meeting,
        mark=FOREIGN_MARK,
    )
    return World(ours=ours, theirs=theirs, meeting=meeting, feed=feed)


def practice_rows(practice_id: int) -> dict[str, list[dict]]:
    """Every row of one practice, field by field: compared before and after a walk."""
    rows = {}
    for model in apps.get_models():
        path = getattr(model, "PRACTICE_PATH", None)
        if path is None:
            continue
        queryset = model._base_manager.filter(**{path: practice_id}).order_by("pk")
        rows[model._meta.label] = [
            {
                f.attname: getattr(obj, f.attname)
                for f in model._meta.concrete_fields
                if not isinstance(f, models.ManyToManyField)
            }
            for obj in queryset
        ]
    rows["recovery.Practice"] = list(Practice.objects.filter(pk=practice_id).values())
    return rows
