"""The demo practice: staff, about forty clients with six months of history (a few of them
with outcome measure histories, `seeding.demo.outcomes`), and a regional catalogue of
meetings, for `manage.py seed_demo`.

`make run` calls it on every start, so once the practice exists it only looks. Each story
draws from its own `random.Random` seeded with a constant and the client's name, and every
date counts back from `today`: the same day always gives the same practice, and editing one
client in `content.py` leaves the others' stories unchanged.
"""

import datetime
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from clients.models import (
    Attendance,
    Client,
    ClientStatus,
    LadderMove,
    MeasureRequest,
    MeetingPlan,
    NoteTheme,
    OutcomeMeasure,
    Reminder,
    ResistanceTheme,
    SessionNote,
    set_series_ends,
)
from groups.models import AttendanceOption, Meeting, Program, PublishedList, RecommendedMeeting
from groups.publishing import unique_slug
from recovery.models import Practice, Role, User
from seeding.demo import content
from seeding.demo.common import DAY, DAY_LETTERS, SEED, TZ, local_time
from seeding.demo.outcomes import measure_rows
from seeding.demo.stories import (
    Story,
    ladder_rows,
    new_client,
    plan_meetings,
    plot,
    record_attendance,
    record_consent,
    write_notes,
)


@dataclass(frozen=True)
class SignIn:
    role: str
    name: str
    email: str


@dataclass(frozen=True)
class DemoResult:
    practice: Practice
    created: bool
    sign_ins: tuple[SignIn, ...]
    password: str = content.DEMO_PASSWORD
    counts: dict[str, int] = field(default_factory=dict)


def demo_practice_seed(*, today: datetime.date | None = None) -> DemoResult:
    """Create the demo practice, or return the existing one untouched."""
    practice = Practice.objects.filter(name=content.PRACTICE_NAME).first()
    if practice is not None:
        return DemoResult(practice=practice, created=False, sign_ins=_sign_ins(practice))
    today = today or timezone.localdate(timezone=TZ)
    with transaction.atomic():
        practice = Practice.objects.create(
            name=content.PRACTICE_NAME,
            time_zone=content.PRACTICE_TIME_ZONE,
            email_sender_name=content.PRACTICE_SENDER,
        )
        therapists = _create_staff(practice, today)
        meetings = _create_meetings(random.Random(f"{SEED}:meetings"))
        counts = _create_caseload(practice, therapists, meetings, today)
        counts["recommended meetings"] = _create_recommended_list(practice, meetings)
    counts["meetings"] = len(meetings)
    return DemoResult(practice=practice, created=True, sign_ins=_sign_ins(practice), counts=counts)


def _sign_ins(practice: Practice) -> tuple[SignIn, ...]:
    order = [Role.MANAGER, Role.ADMIN, Role.THERAPIST]
    users = sorted(practice.users.all(), key=lambda u: (order.index(u.role), u.full_name))
    return tuple(SignIn(u.get_role_display(), u.full_name, u.email) for u in users)


def _create_staff(practice: Practice, today: datetime.date) -> list[User]:
    common = {
        "password": content.DEMO_PASSWORD,
        "practice": practice,
        "date_joined": local_time(today - 400 * DAY, 9),
    }
    manager_name, manager_email = content.MANAGER
    User.objects.create_user(
        email=manager_email, full_name=manager_name, role=Role.MANAGER, **common
    )
    admin_name, admin_email = content.ADMIN
    User.objects.create_user(
        email=admin_email, full_name=admin_name, role=Role.ADMIN, is_staff=True, **common
    )
    return [
        User.objects.create_user(email=email, full_name=name, role=Role.THERAPIST, **common)
        for name, email, _format in content.THERAPISTS
    ]


def _create_recommended_list(practice: Practice, meetings: list[Meeting]) -> int:
    """The meetings the practice recommends to newcomers, published as its own feed: a
    beginners' meeting for each day, a few online ones and the secular programs."""
    chosen: dict[int, Meeting] = {}
    for meeting in meetings:
        if "BE" in meeting.types and meeting.day not in {m.day for m in chosen.values()}:
            chosen[meeting.pk] = meeting
    online = [m for m in meetings if m.attendance_option == AttendanceOption.ONLINE][:3]
    secular = [m for m in meetings if not m.program.is_twelve_step][:3]
    for meeting in online + secular:
        chosen[meeting.pk] = meeting
    admin = practice.users.get(role=Role.ADMIN)
    RecommendedMeeting.objects.bulk_create(
        RecommendedMeeting(practice=practice, meeting=meeting, added_by=admin)
        for meeting in chosen.values()
    )
    PublishedList.objects.create(
        practice=practice,
        slug=unique_slug(practice.name),
        title=f"Meetings {practice.name} recommends",
        is_published=True,
    )
    return len(chosen)


def _create_meetings(rng: random.Random) -> list[Meeting]:
    programs = {program.key: program for program in Program.objects.all()}
    missing = sorted({row[0] for row in content.SERIES} - set(programs))
    if missing:
        raise LookupError(f"Programs {missing} are not seeded; run `manage.py migrate` first.")
    # One spot per venue, so every meeting held there shares its pin on the map.
    spots = {}
    for town, venue, _address, _accessible in content.VENUES:
        _postal, lat, lon = content.TOWNS[town]
        spots[venue] = (
            round(lat + rng.uniform(-0.01, 0.01), 5),
            round(lon + rng.uniform(-0.012, 0.012), 5),
        )
    meetings = []
    for key, name, types, option, days, start, minutes, town, notes in content.SERIES:
        candidates = [v for v in content.VENUES if town in (None, v[0])]
        town, venue, address, accessible = rng.choice(candidates)
        in_room = option != AttendanceOption.ONLINE
        online = option != AttendanceOption.IN_PERSON
        codes = types.split() + (["X"] if in_room and accessible else [])
        start_time = datetime.time.fromisoformat(start)
        end = datetime.datetime.combine(datetime.date.min, start_time)
        end += datetime.timedelta(minutes=minutes)
        lat, lon = spots[venue] if in_room else (None, None)
        phone = f"+1 207 555 01{rng.randint(10, 99)}" if online and rng.random() < 0.4 else ""
        for letter in days:
            meetings.append(
                Meeting(
                    program=programs[key],
                    name=name,
                    day=DAY_LETTERS.index(letter),
                    start_time=start_time,
                    end_time=end.time(),
                    time_zone=content.PRACTICE_TIME_ZONE,
                    attendance_option=option,
                    location_name=venue if in_room else "",
                    address=address if in_room else "",
                    city=town,
                    region="ME",
                    postal_code=content.TOWNS[town][0] if in_room else "",
                    country="US",
                    latitude=lat,
                    longitude=lon,
                    conference_url=f"https://meet.example.org/{slugify(name)}" if online else "",
                    conference_url_notes=rng.choice(content.ONLINE_NOTES) if online else "",
                    conference_phone=phone,
                    types=codes,
                    notes=notes,
                    is_active=True,
                )
            )
    return Meeting.objects.bulk_create(meetings)


def _create_caseload(
    practice: Practice, therapists: list[User], meetings: list[Meeting], today: datetime.date
) -> dict[str, int]:
    themes = {theme.slug: theme for theme in ResistanceTheme.objects.filter(practice=None)}
    wanted = {slug for profile in content.CLIENTS for slug, _ in profile.themes} | {content.FJ}
    if wanted - set(themes):
        raise LookupError(f"Themes {sorted(wanted - set(themes))} are not seeded; migrate first.")
    clients, intakes, plans, attendance, moves = [], [], [], [], []
    notes, note_themes, stamps = [], [], []
    requests, measures, emails = [], [], []
    for profile in content.CLIENTS:
        story = Story(
            profile=profile,
            therapist=therapists[profile.therapist],
            note_format=content.THERAPISTS[profile.therapist][2],
            rng=random.Random(f"{SEED}:{profile.name}"),
            today=today,
        )
        plot(story)
        client = new_client(story, practice)
        plan_meetings(story, meetings, client)
        record_attendance(story)
        client_notes, rows, client_stamps = write_notes(story, client, themes)
        client.stage_of_change = client_notes[-1].stage_of_change
        if story.discharged_on:
            client.status, client.discharged_on = ClientStatus.DISCHARGED, story.discharged_on
        record_consent(story, client)
        clients.append(client)
        intakes.append(local_time(story.sessions[0], 15))
        plans += story.plans
        attendance += story.attendance
        notes += client_notes
        note_themes += rows
        stamps += client_stamps
        moves += ladder_rows(story, client)
        # After consent is recorded: a questionnaire goes by email only with consent.
        client_requests, client_measures, client_emails = measure_rows(story, client)
        requests += client_requests
        measures += client_measures
        emails += client_emails

    Client.objects.bulk_create(clients)
    MeetingPlan.objects.bulk_create(plans)
    Attendance.objects.bulk_create(attendance)
    # bulk_create skips SessionNote.save(), which would refuse nothing here anyway, and
    # NoteTheme.save(), which refuses themes on a signed note: these are history, not edits.
    SessionNote.objects.bulk_create(notes)
    NoteTheme.objects.bulk_create(note_themes)
    LadderMove.objects.bulk_create(moves)
    MeasureRequest.objects.bulk_create(requests)
    set_series_ends(measures)  # bulk_create skips OutcomeMeasure.save(), which keeps them
    OutcomeMeasure.objects.bulk_create(measures)
    Reminder.objects.bulk_create(emails)
    # auto_now_add stamped these with the real clock; date them when they were written.
    for client, at in zip(clients, intakes, strict=True):
        client.created_at = at
    Client.objects.bulk_update(clients, ["created_at"])
    for note, at in zip(notes, stamps, strict=True):
        note.created_at = note.updated_at = at
    SessionNote.objects.bulk_update(notes, ["created_at", "updated_at"], batch_size=500)
    return {
        "clients": len(clients),
        "session notes": len(notes),
        "ladder moves": len(moves),
        "meeting plans": len(plans),
        "attendance records": len(attendance),
        "outcome measures": len(measures),
    }
