"""factory_boy factories for every model the tests build."""

import datetime

import factory
from django.utils import timezone

from clients.models import (
    Attendance,
    AttendanceStatus,
    Client,
    LadderMove,
    MeetingPlan,
    NoteFormat,
    NoteTheme,
    ResistanceTheme,
    SessionNote,
)
from groups.models import Meeting, Program
from recovery.models import Practice, Role, User

TEST_PASSWORD = "correct horse battery staple"


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    name = factory.Sequence(lambda n: f"Practice {n}")
    time_zone = "America/New_York"
    email_sender_name = "Your care team"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@example.org")
    full_name = factory.Faker("name")
    practice = factory.SubFactory(PracticeFactory)
    role = Role.THERAPIST
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    practice = factory.SelfAttribute("primary_therapist.practice")
    primary_therapist = factory.SubFactory(UserFactory)
    preferred_name = factory.Faker("first_name")
    contact_email = factory.Sequence(lambda n: f"client{n}@example.net")
    substances = factory.LazyFunction(lambda: ["alcohol"])


class SessionNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionNote

    client = factory.SubFactory(ClientFactory)
    author = factory.SelfAttribute("client.primary_therapist")
    session_date = factory.LazyFunction(timezone.localdate)
    format = NoteFormat.DAP
    sections = factory.LazyFunction(
        lambda: {
            "data": "Client talked about the week.",
            "assessment": "Engaged.",
            "plan": "Meet again.",
        }
    )


class NoteThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NoteTheme

    note = factory.SubFactory(SessionNoteFactory)
    theme = factory.LazyFunction(lambda: ResistanceTheme.objects.filter(practice=None).first())
    intensity = 2


class LadderMoveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LadderMove

    client = factory.SubFactory(ClientFactory)
    step = 1
    reached_on = factory.LazyFunction(timezone.localdate)
    recorded_by = factory.SelfAttribute("client.primary_therapist")


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    program = factory.LazyFunction(lambda: Program.objects.get(key="AA"))
    name = factory.Sequence(lambda n: f"Tuesday Night Group {n}")
    day = 2
    start_time = datetime.time(19, 0)
    end_time = datetime.time(20, 0)
    time_zone = "America/New_York"
    types = factory.LazyFunction(lambda: ["O", "D"])


class MeetingPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeetingPlan

    client = factory.SubFactory(ClientFactory)
    meeting = factory.SubFactory(MeetingFactory)
    starts_on = factory.LazyFunction(timezone.localdate)
    created_by = factory.SelfAttribute("client.primary_therapist")


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    plan = factory.SubFactory(MeetingPlanFactory)
    occurrence_start = factory.LazyFunction(timezone.now)
    status = AttendanceStatus.PLANNED
