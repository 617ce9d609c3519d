"""A large invented practice for measuring pages and queries at scale: `manage.py seed_scale`.

Unlike the demo (forty hand-written stories), this writes volume: thousands of clients with a
year of session notes, two years of attendance and a year of outcome measures (a dozen each
on average, answered item by item and scored by `clients.outcomes.score()`), through bulk
inserts only. Every run makes
a new practice ("Scale Practice <n>"), so a second run doubles the data rather than
refusing: that is how one measures a page at two data sizes.

Rows are built per chunk of clients and inserted in batches of `BATCH`, so memory stays flat
however many clients are asked for. Everything draws from one `random.Random(seed)`: the
same arguments give the same rows (apart from ids, the practice number and `created_at`).
"""

import datetime
import random
import time
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from clients.models import (
    NOTE_SECTIONS,
    Attendance,
    AttendanceStatus,
    Client,
    ClientStatus,
    Instrument,
    LadderMove,
    MeasureSource,
    MeetingPlan,
    MissReason,
    NoteFormat,
    NoteStatus,
    NoteTheme,
    OutcomeMeasure,
    Recurrence,
    Reminder,
    ReminderKind,
    ReminderStatus,
    ReportedBy,
    ResistanceTheme,
    SessionNote,
    StageOfChange,
    Substance,
    set_series_ends,
)
from clients.outcomes import INSTRUMENTS, score
from clients.outcomes.spec import Instrument as InstrumentSpec
from groups.models import AttendanceOption, Meeting, Program
from recovery.models import Practice, Role, User

NAME_PREFIX = "Scale Practice"
PASSWORD = "scale-practice-2026"
TIME_ZONE = "America/New_York"
TZ = zoneinfo.ZoneInfo(TIME_ZONE)
# Rows per INSERT, and roughly the session notes built per chunk of clients.
BATCH = 5_000
# Below this many active meetings the catalogue is too thin to spread plans over.
MIN_MEETINGS = 50
NEW_MEETINGS = 200
# Plans pick from the first active meetings by id: enough variety, without loading a
# 50,000-meeting benchmark catalogue into memory.
MEETING_POOL = 1_000
NOTE_DAYS = 365
ATTENDANCE_WEEKS = 104
REMINDER_DAYS = 30
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
WEEK = datetime.timedelta(weeks=1)

# Encrypting each note is the slow part of the insert; the plain text needn't vary, so a few
# fixed documents per format are enough.
_PHRASES = (
    "Reports steady week; cravings lower in the evenings.",
    "Discussed the barriers to trying a meeting; ambivalent but curious.",
    "Practised a refusal script; agreed to try an online meeting, camera off.",
)
SECTIONS: dict[str, list[dict[str, str]]] = {
    fmt: [{key: f"{label}: {phrase}" for key, label, _help in keys} for phrase in _PHRASES]
    for fmt, keys in NOTE_SECTIONS.items()
}
NEXT_STEPS = ("Review the meeting plan next session.", "Check in on sleep.", "")
STAGES = list(StageOfChange.values)
SUBSTANCES = list(Substance.values)


# Every table this writes to, for the planner statistics refreshed at the end.
ANALYZED = (User, Meeting, ResistanceTheme, Client, SessionNote, NoteTheme, LadderMove, MeetingPlan)
ANALYZED += (Attendance, Reminder, OutcomeMeasure)

# How often each instrument is given: recovery capital and mood most, the BAM monthly-ish,
# the readiness ruler now and then. About one client in five stops being measured some
# months before the end (the dashboard's "measured in the last 90 days" is then not 100%).
MEASURE_WEIGHTS = {
    Instrument.BARC10: 25,
    Instrument.PHQ9: 25,
    Instrument.GAD7: 20,
    Instrument.BAM: 15,
    Instrument.READINESS_RULER: 15,
}
MEASURES_STOPPED = 0.2


@dataclass
class ScaleResult:
    practice: Practice
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def scale_practice_seed(
    *,
    therapists: int,
    clients: int,
    notes_per_client: int,
    attendance_per_client: int,
    measures_per_client: int = 12,
    seed: int = 2026,
    now: datetime.datetime | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> ScaleResult:
    """Create a new "Scale Practice <n>" with the given volume; all or nothing.

    `measures_per_client` is an average: each client gets between half and one and a half
    times as many (5,000 clients at the default 12 make about 60,000 measures).
    """
    counts_asked = (clients, notes_per_client, attendance_per_client, measures_per_client)
    if therapists < 1 or min(counts_asked) < 0:
        raise ValueError("Need at least one therapist and no negative counts.")
    started = time.perf_counter()
    now = now or timezone.now()
    rng = random.Random(seed)
    themes = list(ResistanceTheme.objects.filter(practice=None, is_active=True))
    if not themes:
        raise LookupError("The curated themes are not seeded; run `manage.py migrate` first.")
    with transaction.atomic():
        practice = Practice.objects.create(
            name=_next_name(), time_zone=TIME_ZONE, email_sender_name="Appointments"
        )
        staff = _create_staff(practice, therapists)
        progress(f"{practice.name}: {len(staff) - 1} therapists and a manager")
        # Its own generator: whether meetings are needed must not shift every later draw.
        meetings, new_meetings = _meetings(random.Random(f"{seed}:meetings"))
        if new_meetings:
            progress(f"Created {new_meetings} meetings (the catalogue had fewer than 50)")
        builder = _Builder(rng=rng, now=now, themes=themes, meetings=meetings)
        people = _create_clients(practice, staff, clients, builder)
        progress(f"{len(people)} clients")
        counts = dict.fromkeys(
            [
                "notes",
                "note themes",
                "ladder moves",
                "plans",
                "attendance",
                "reminders",
                "outcome measures",
            ],
            0,
        )
        per_client = max(1, notes_per_client, attendance_per_client // 2, measures_per_client)
        chunk = max(1, BATCH // per_client)
        for start in range(0, len(people), chunk):
            batch = builder.chunk(
                people[start : start + chunk],
                notes_per_client,
                attendance_per_client,
                measures_per_client,
            )
            for what, rows in batch.items():
                counts[what] += rows
            done = min(start + chunk, len(people))
            progress(
                f"  {done}/{len(people)} clients: {counts['notes']} notes, "
                f"{counts['attendance']} attendance, {time.perf_counter() - started:.0f}s"
            )
        if connection.vendor == "postgresql":
            # Fresh planner statistics, so the first page measured afterwards is not planned
            # on empty-table guesses.
            with connection.cursor() as cursor:
                for model in ANALYZED:
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Once committed, what autovacuum does soon after a large import: the visibility map
        # that lets the dashboard's covering indexes answer without reading table rows.
        with connection.cursor() as cursor:
            for model in ANALYZED:
                cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
    counts = {
        "therapists": len(staff) - 1,
        "manager": 1,
        "meetings created": new_meetings,
        "clients": len(people),
        **counts,
    }
    return ScaleResult(practice=practice, counts=counts, seconds=time.perf_counter() - started)


def _next_name() -> str:
    taken = set(
        Practice.objects.filter(name__startswith=NAME_PREFIX).values_list("name", flat=True)
    )
    number = len(taken) + 1
    while f"{NAME_PREFIX} {number}" in taken:
        number += 1
    return f"{NAME_PREFIX} {number}"


def _create_staff(practice: Practice, therapists: int) -> list[User]:
    # One hash for everyone: hashing 50 passwords with the production hasher would take
    # longer than inserting every other row.
    password = make_password(PASSWORD)
    joined = timezone.now() - 800 * DAY
    domain = f"scale{practice.pk}.example.org"
    users = [User(email=f"manager@{domain}", full_name="Scale Manager", role=Role.MANAGER)]
    users += [
        User(email=f"therapist{i}@{domain}", full_name=f"Therapist {i}", role=Role.THERAPIST)
        for i in range(1, therapists + 1)
    ]
    for user in users:
        user.practice, user.password, user.date_joined = practice, password, joined
    return User.objects.bulk_create(users, batch_size=BATCH)


def _meetings(rng: random.Random) -> tuple[list[Meeting], int]:
    active = Meeting.objects.filter(is_active=True)
    created = 0
    if active.count() < MIN_MEETINGS:
        programs = list(Program.objects.order_by("key"))
        if not programs:
            raise LookupError("No programs are seeded; run `manage.py migrate` first.")
        rows = []
        for index in range(NEW_MEETINGS):
            start = datetime.time(rng.randrange(7, 21), rng.choice((0, 30)))
            end = (datetime.datetime.combine(datetime.date.min, start) + HOUR).time()
            online = rng.random() < 0.4
            rows.append(
                Meeting(
                    program=rng.choice(programs),
                    name=f"Scale Group {index + 1}",
                    day=rng.randrange(7),
                    start_time=start,
                    end_time=end,
                    time_zone=TIME_ZONE,
                    attendance_option=AttendanceOption.ONLINE
                    if online
                    else AttendanceOption.IN_PERSON,
                    city="Portland",
                    region="ME",
                    country="US",
                    latitude=None if online else round(43.66 + rng.uniform(-0.2, 0.2), 5),
                    longitude=None if online else round(-70.26 + rng.uniform(-0.2, 0.2), 5),
                    conference_url="https://meet.example.org/scale" if online else "",
                    types=rng.sample(["O", "C", "D", "BE", "SP", "W", "M"], 2),
                )
            )
        Meeting.objects.bulk_create(rows, batch_size=BATCH)
        created = len(rows)
    return list(active.order_by("id")[:MEETING_POOL]), created


def _create_clients(
    practice: Practice, staff: list[User], count: int, builder: "_Builder"
) -> list[Client]:
    rng, today = builder.rng, builder.today
    therapists = [user for user in staff if user.role == Role.THERAPIST]
    rows = []
    for index in range(count):
        client = Client(
            practice=practice,
            primary_therapist=therapists[index % len(therapists)],
            preferred_name=f"Client {index + 1}",
            substances=rng.sample(SUBSTANCES, rng.randint(1, 2)),
            stage_of_change=rng.choice(STAGES),
            time_zone=TIME_ZONE,
        )
        # About one in eight has finished treatment, some time in the past year.
        if rng.random() < 0.125:
            client.status = ClientStatus.DISCHARGED
            client.discharged_on = today - rng.randint(1, 300) * DAY
        rows.append(client)
    return Client.objects.bulk_create(rows, batch_size=BATCH)


class _Builder:
    """Builds and inserts one chunk of clients' history at a time."""

    def __init__(
        self,
        *,
        rng: random.Random,
        now: datetime.datetime,
        themes: list[ResistanceTheme],
        meetings: list[Meeting],
    ) -> None:
        self.rng, self.now, self.themes, self.meetings = rng, now, themes, meetings
        self.today = now.astimezone(TZ).date()
        self.therapist_format: dict[int, str] = {}

    def chunk(
        self, clients: list[Client], notes: int, attendance: int, measures: int
    ) -> dict[str, int]:
        note_rows, theme_picks, moves, plans, occurrences, outcomes = [], [], [], [], [], []
        for client in clients:
            end = client.discharged_on or self.today
            history = []
            for note, picks in self._notes(client, notes, end):
                note_rows.append(note)
                theme_picks.append(picks)
                history.append(note.session_date)
            client_moves = self._ladder(client, end)
            moves += client_moves
            history += [move.reached_on for move in client_moves]
            for plan, weeks in self._plans(client, attendance, end):
                plans.append(plan)
                occurrences.append(weeks)
                history.append(plan.created_at.date())
            client_measures = self._measures(client, measures, end)
            outcomes += client_measures
            history += [measure.administered_on for measure in client_measures]
            # Added to the caseload a little before anything happened with them, not when the
            # row was inserted: the dashboard's "active that week" counts from created_at.
            added = min(history, default=end) - self.rng.randint(1, 14) * DAY
            client.created_at = datetime.datetime.combine(added, datetime.time(9), tzinfo=TZ)
        # created_at is auto_now_add, which bulk_create would overwrite: set it afterwards.
        Client.objects.bulk_update(clients, ["created_at"], batch_size=1_000)
        SessionNote.objects.bulk_create(note_rows, batch_size=BATCH)
        # NoteTheme.save() refuses themes on a signed note; bulk_create skips it on purpose:
        # this is history being written, not a signed note being edited.
        note_themes = [
            NoteTheme(
                note_id=note.pk,
                client_id=note.client_id,
                session_date=note.session_date,
                theme=theme,
                intensity=intensity,
            )
            for note, picks in zip(note_rows, theme_picks, strict=True)
            for theme, intensity in picks
        ]
        NoteTheme.objects.bulk_create(note_themes, batch_size=BATCH)
        LadderMove.objects.bulk_create(moves, batch_size=BATCH)
        MeetingPlan.objects.bulk_create(plans, batch_size=BATCH)
        attendances, reminders = [], []
        for plan, starts in zip(plans, occurrences, strict=True):
            attendances += [self._attendance(plan, start) for start in starts]
            if plan.until is None:
                reminders += self._reminders(plan)
        Attendance.objects.bulk_create(attendances, batch_size=BATCH)
        Reminder.objects.bulk_create(reminders, batch_size=BATCH)
        OutcomeMeasure.objects.bulk_create(outcomes, batch_size=BATCH)
        return {
            "notes": len(note_rows),
            "note themes": len(note_themes),
            "ladder moves": len(moves),
            "plans": len(plans),
            "attendance": len(attendances),
            "reminders": len(reminders),
            "outcome measures": len(outcomes),
        }

    def _notes(
        self, client: Client, count: int, end: datetime.date
    ) -> Iterator[tuple[SessionNote, list[tuple[ResistanceTheme, int]]]]:
        rng, author = self.rng, client.primary_therapist
        fmt = self.therapist_format.setdefault(author.pk, rng.choice(NoteFormat.values))
        for index in range(count):
            # Evenly over the year before `end`, oldest first, the latest on `end` itself.
            day = end - (NOTE_DAYS * (count - 1 - index) // max(1, count - 1)) * DAY
            note = SessionNote(
                client=client,
                author=author,
                session_date=day,
                duration_minutes=rng.choice((50, 50, 50, 30, 90)),
                format=fmt,
                sections=rng.choice(SECTIONS[fmt]),
                stage_of_change=client.stage_of_change,
                craving_reported=rng.random() < 0.2,
                lapse_reported=rng.random() < 0.04,
                next_steps=rng.choice(NEXT_STEPS),
                status=NoteStatus.SIGNED,
            )
            # Drafts are the last couple of sessions, not yet signed; older notes are.
            if index >= count - 2 and rng.random() < 0.2:
                note.status = NoteStatus.DRAFT
            else:
                signed = datetime.datetime.combine(day, datetime.time(17), tzinfo=TZ)
                note.signed_at = min(signed + rng.randint(0, 48) * HOUR, self.now)
                note.signed_by = author
            picks = rng.sample(self.themes, min(len(self.themes), rng.choice((0, 1, 1, 2, 3))))
            yield note, [(theme, rng.randint(1, 3)) for theme in picks]

    def _ladder(self, client: Client, end: datetime.date) -> list[LadderMove]:
        rng, moves, step = self.rng, [], 1
        count = rng.randint(2, 9)
        for index in range(count):
            if index:
                # Mostly a step up, now and then a slip back.
                step = min(8, max(1, step + rng.choice((1, 1, 1, 2, -1))))
            moves.append(
                LadderMove(
                    client=client,
                    step=step,
                    reached_on=end - (NOTE_DAYS * (count - 1 - index) // count) * DAY,
                    recorded_by=client.primary_therapist,
                )
            )
        return moves

    def _plans(
        self, client: Client, attendance: int, end: datetime.date
    ) -> list[tuple[MeetingPlan, list[datetime.datetime]]]:
        rng = self.rng
        meetings = rng.sample(self.meetings, min(len(self.meetings), rng.randint(1, 3)))
        shares = [attendance // len(meetings)] * len(meetings)
        shares[0] += attendance - sum(shares)
        planned = []
        for meeting, share in zip(meetings, shares, strict=True):
            # The latest occurrence before `end`, then whole weeks back from it, picked from
            # two years (or more, if more are asked for): distinct starts, so the
            # one-record-per-occurrence constraint holds. Stepping local dates, not UTC
            # instants, keeps the meeting's wall-clock time across daylight saving.
            cutoff = datetime.datetime.combine(end, datetime.time.min, tzinfo=TZ)
            latest = list(meeting.occurrences(cutoff - 8 * DAY, cutoff))[-1]
            tz = zoneinfo.ZoneInfo(meeting.time_zone)
            latest_day = latest.astimezone(tz).date()
            span = max(ATTENDANCE_WEEKS, share)
            weeks = sorted(rng.sample(range(span), share), reverse=True)
            starts = [
                datetime.datetime.combine(
                    latest_day - week * WEEK, meeting.start_time, tzinfo=tz
                ).astimezone(datetime.UTC)
                for week in weeks
            ]
            plan = MeetingPlan(
                client=client,
                meeting=meeting,
                recurrence=Recurrence.WEEKLY,
                starts_on=latest_day - (span - 1) * WEEK,
                until=client.discharged_on,
                created_by=client.primary_therapist,
                created_at=datetime.datetime.combine(
                    latest_day - span * WEEK, datetime.time(15), tzinfo=TZ
                ),
            )
            planned.append((plan, starts))
        return planned

    def _attendance(self, plan: MeetingPlan, start: datetime.datetime) -> Attendance:
        rng = self.rng
        status = rng.choices(
            (AttendanceStatus.ATTENDED, AttendanceStatus.MISSED, AttendanceStatus.SKIPPED),
            weights=(65, 25, 10),
        )[0]
        return Attendance(
            plan=plan,
            occurrence_start=start,
            status=status,
            reason=rng.choice(MissReason.values) if status == AttendanceStatus.MISSED else "",
            reported_by=ReportedBy.THERAPIST,
            reported_by_user=plan.created_by,
            reported_at=min(start + rng.randint(2, 96) * HOUR, self.now),
        )

    def _reminders(self, plan: MeetingPlan) -> list[Reminder]:
        rng, rows = self.rng, []
        since = self.now - REMINDER_DAYS * DAY
        for start in plan.meeting.occurrences(since, self.now - 3 * HOUR):
            for kind, due in (
                (ReminderKind.BEFORE, start - 2 * HOUR),
                (ReminderKind.CHECKIN, start + 2 * HOUR),
            ):
                failed = rng.random() < 0.03
                rows.append(
                    Reminder(
                        plan=plan,
                        occurrence_start=start,
                        kind=kind,
                        due_at=due,
                        status=ReminderStatus.FAILED if failed else ReminderStatus.SENT,
                        attempts=3 if failed else 1,
                        last_error="SMTP 451: try again later" if failed else "",
                        claimed_at=due,
                        sent_at=None if failed else due + datetime.timedelta(seconds=5),
                        created_at=plan.created_at,
                    )
                )
        return rows

    def _measures(self, client: Client, average: int, end: datetime.date) -> list[OutcomeMeasure]:
        """Measures over the year before `end`, on a course of the client's own: most do better
        over time, some worse. Answers are drawn item by item and scored by the code, so
        totals, bands and safety flags are what `outcome_measure_store` would keep."""
        rng = self.rng
        if not average:
            return []
        count = rng.randint(average - average // 2, average + average // 2)
        last = end
        if rng.random() < MEASURES_STOPPED:
            last = end - rng.randint(91, 240) * DAY
        first = end - NOTE_DAYS * DAY
        span = (last - first).days
        days = sorted(first + rng.randint(0, span) * DAY for _ in range(count))
        keys = rng.choices(list(MEASURE_WEIGHTS), weights=list(MEASURE_WEIGHTS.values()), k=count)
        # How well things go, 0 (badly) to 1 (well): where the client starts and how it moves.
        start, slope = rng.uniform(0.2, 0.65), rng.gauss(0.2, 0.25)
        rows = []
        for day, key in zip(days, keys, strict=True):
            progress = (day - first).days / max(1, span)
            wellbeing = min(0.98, max(0.02, start + slope * progress + rng.gauss(0, 0.08)))
            answers = _answers(INSTRUMENTS[key], wellbeing, rng)
            result = score(key, answers)
            rows.append(
                OutcomeMeasure(
                    client=client,
                    instrument=key,
                    administered_on=day,
                    responses=answers,
                    total=result.total,
                    subscales=result.subscales,
                    band=result.band or "",
                    safety_flag=bool(result.flags),
                    source=MeasureSource.THERAPIST,
                    entered_by=client.primary_therapist,
                    created_at=datetime.datetime.combine(day, datetime.time(15), tzinfo=TZ),
                )
            )
        set_series_ends(rows)  # bulk_create skips OutcomeMeasure.save(), which keeps them
        return rows


def _answers(spec: InstrumentSpec, wellbeing: float, rng: random.Random) -> dict[str, int | str]:
    """Plausible answers for a client doing this well (0 to 1): each item leans with it or
    against it as its series says (a BARC-10 item is high when things go well, a PHQ-9 item
    low), plus a little noise."""
    flagged, better_high = _DIRECTIONS[spec.key]
    answers: dict[str, int | str] = {}
    for item in spec.items:
        good = better_high.get(item.key)
        if good is None:
            # Unscored: the BAM's drug-by-drug days (most clients use one or two substances,
            # not all seven) and its satisfaction rating, which goes with how well things go.
            lean = wellbeing if item.kind != "days" else 0.25 * (1 - wellbeing)
        else:
            # Symptoms run a little milder than the mirror image of how well things go: the
            # PHQ-9s centre on "moderate" at intake rather than "moderately severe".
            lean = wellbeing if good else 0.8 * (1 - wellbeing)
        if item.key in flagged:
            # PHQ-9 item 9 is mostly "Not at all", less often so when mood is low.
            answers[item.key] = rng.choice((1, 1, 2)) if rng.random() < 0.25 * lean else 0
        elif item.kind == "yes_no":
            by_points = sorted(item.points, key=lambda pair: pair[1])
            answers[item.key] = by_points[-1][0] if rng.random() < lean else by_points[0][0]
        else:
            width = item.max - item.min
            value = round(item.min + lean * width + rng.gauss(0, 0.12 * width + 0.3))
            answers[item.key] = min(item.max, max(item.min, value))
    return answers


def _directions(spec: InstrumentSpec) -> tuple[set[str], dict[str, bool]]:
    """The items that raise a flag, and for each scored item whether higher is better."""
    better_high: dict[str, bool] = {}
    for series in spec.series:
        if series.key == "total":
            items = spec.total_items
        else:
            items = next(sub.items for sub in spec.subscales if sub.key == series.key)
        better_high.update(dict.fromkeys(items, series.higher_is_better))
    return {rule.item for rule in spec.flag_rules}, better_high


_DIRECTIONS = {key: _directions(spec) for key, spec in INSTRUMENTS.items()}
