"""One client's invented history: sessions, ladder moves, plans, attendance and notes."""

import datetime
import random
import unicodedata
import zoneinfo
from dataclasses import dataclass, field

from clients.models import (
    Attendance,
    AttendanceStatus,
    Client,
    LadderMove,
    MeetingPlan,
    MissReason,
    NoteFormat,
    NoteStatus,
    NoteTheme,
    ReportedBy,
    SessionNote,
)
from groups.models import AttendanceOption, Meeting
from recovery.models import Practice, User
from seeding.demo import content
from seeding.demo.common import DAY, HISTORY_DAYS, TZ, Stage, local_time, meeting_label

# Meetings for a particular group of people: offered only to a client who fits them.
GROUP_CODES = {"W", "M", "Y", "LGBTQ", "S", "POC", "SEN", "P"}


def _pick(
    rng: random.Random,
    meetings: list[Meeting],
    profile: content.Profile,
    modes: tuple[str, ...],
    exclude: Meeting | None = None,
) -> Meeting:
    """A meeting of the client's preferred program that fits the step they are on."""
    wanted = set(profile.codes)
    for need_codes in (True, False):
        for program in profile.programs:
            fits = [
                m
                for m in meetings
                if m.program.key == program
                and m.attendance_option in modes
                and m is not exclude
                and set(m.types) & GROUP_CODES <= wanted
                and (not need_codes or wanted <= set(m.types))
            ]
            if fits:
                return rng.choice(fits)
    raise LookupError(f"No meeting fits {profile.name}; check seeding/demo/content.py, SERIES.")


@dataclass
class Story:
    """One client's history, worked out in memory before anything is written."""

    profile: content.Profile
    therapist: User
    note_format: str
    rng: random.Random
    today: datetime.date
    start: datetime.date = datetime.date.min
    sessions: list[datetime.date] = field(default_factory=list)
    moves: list[tuple[datetime.date, int]] = field(default_factory=list)
    lapse_on: datetime.date | None = None
    lapse_p: float = 2.0  # share of the story elapsed at the lapse; past the end if none
    discharged_on: datetime.date | None = None
    suggested: Meeting | None = None  # the online meeting first talked about
    plans: list[MeetingPlan] = field(default_factory=list)
    attendance: list[Attendance] = field(default_factory=list)

    def progress(self, day: datetime.date) -> float:
        return (day - self.start).days / max((self.today - self.start).days, 1)

    def step_on(self, day: datetime.date) -> int:
        return next((step for on, step in reversed(self.moves) if on <= day), 1)

    def session_before(self, day: datetime.date) -> datetime.date:
        return next((s for s in reversed(self.sessions) if s < day), day)

    def plan_on(self, day: datetime.date) -> MeetingPlan | None:
        live = [p for p in self.plans if p.starts_on <= day and (p.until or day) >= day]
        return live[-1] if live else None


def plot(story: Story) -> None:
    """Session dates, ladder moves, the lapse and the discharge of one story."""
    profile, rng, today = story.profile, story.rng, story.today
    arc = profile.arc
    span = rng.randint(12, 38) if arc == "new" else HISTORY_DAYS + rng.randint(-4, 4)
    story.start = today - span * DAY
    stop = {"drifted": 0.78, "disengaged": 0.55, "completed": 0.86}.get(arc, 1.0)
    fortnightly_from = 0.0 if arc == "steady" else 0.8 if profile.step >= 6 else 2.0
    day = story.start + ((rng.randint(0, 4) - story.start.weekday()) % 7) * DAY
    while day < today and story.progress(day) <= stop:
        if not story.sessions or rng.random() > 0.06:  # now and then a cancelled week
            story.sessions.append(day)
        day += (14 if story.progress(day) > fortnightly_from else 7) * DAY
    if arc == "completed":
        story.discharged_on = story.sessions[-1]
    elif arc == "disengaged":
        story.discharged_on = story.start + round(0.8 * span) * DAY

    by_day: dict[datetime.date, int] = {}
    for share, step in sorted(content.ladder_keyframes(arc, profile.step, rng)):
        on = next((s for s in story.sessions if story.progress(s) >= share), None)
        if on is None:
            continue
        if by_day and step < max(by_day.values()) and story.lapse_on is None:
            story.lapse_on, story.lapse_p = on, story.progress(on)
        by_day[on] = step  # two frames on one session: the later one stands
    for on, step in sorted(by_day.items()):
        if not story.moves or story.moves[-1][1] != step:
            story.moves.append((on, step))


def plan_meetings(story: Story, meetings: list[Meeting], client: Client) -> None:
    """Weekly plans that follow the ladder: online while listening, in a room from step 4."""
    profile, rng = story.profile, story.rng
    online = _pick(rng, meetings, profile, (AttendanceOption.ONLINE, AttendanceOption.HYBRID))
    story.suggested = online
    in_room_modes = (AttendanceOption.IN_PERSON, AttendanceOption.HYBRID)
    in_room = _pick(rng, meetings, profile, in_room_modes, exclude=online)
    keep_online = rng.random() < 0.35
    active: dict[str, MeetingPlan] = {}

    def end(mode: str, on: datetime.date) -> None:
        plan = active.pop(mode, None)
        if plan is not None:
            plan.until = max(on - DAY, plan.starts_on)

    previous = 0
    for on, step in story.moves:
        mode = "" if step < 2 else "online" if step < 4 else "in_room"
        if mode == "" or (mode == "in_room" and not keep_online):
            end("online", on)
        if mode != "in_room":
            end("in_room", on)
        if mode and mode not in active:
            # Agreed at the session before the step was reached, unless it is a step down.
            starts = story.session_before(on) if step > previous else on
            plan = MeetingPlan(
                client=client,
                meeting=online if mode == "online" else in_room,
                starts_on=starts,
                created_by=story.therapist,
                created_at=local_time(starts, 17, rng.randint(0, 59)),
            )
            active[mode] = plan
            story.plans.append(plan)
        previous = step
    if story.discharged_on:
        for plan in story.plans:
            plan.until = min(plan.until or story.discharged_on, story.discharged_on)
            plan.cancelled_at = plan.cancelled_at or local_time(story.discharged_on, 18)


def record_attendance(story: Story) -> None:
    profile, rng = story.profile, story.rng
    cutoff = local_time(story.today, 0)
    reasons = [MissReason.SCHEDULE, MissReason.OTHER]
    slugs = [slug for slug, _ in profile.themes]
    if content.SA in slugs or content.CM in slugs:
        reasons += [MissReason.ANXIOUS] * 3
    if content.PB in slugs:
        reasons += [MissReason.TRANSPORT, MissReason.TRANSPORT, MissReason.SCHEDULE]
    if profile.arc in ("stuck", "disengaged", "new") or content.DN in slugs:
        reasons += [MissReason.NOT_READY] * 2
    # Climbing a step means the meeting before it went ahead; step 7 means four in a row.
    ups, before = [], 0
    for on, step in story.moves:
        if step > before:
            ups.append((on, step))
        before = step
    sure = [(story.session_before(on), on) for on, step in ups if step >= 2]
    sure += [(on - 28 * DAY, on) for on, step in ups if step == 7]

    for plan in story.plans:
        meeting = plan.meeting
        weekday = (meeting.day - 1) % 7
        day = plan.starts_on + ((weekday - plan.starts_on.weekday()) % 7) * DAY
        while plan.until is None or day <= plan.until:
            local = datetime.datetime.combine(
                day, meeting.start_time, tzinfo=zoneinfo.ZoneInfo(meeting.time_zone)
            )
            starts = local.astimezone(datetime.UTC)
            if local >= cutoff:
                if plan.cancelled_at is None:
                    story.attendance.append(Attendance(plan=plan, occurrence_start=starts))
                break
            status = _attendance_status(story, day, any(a <= day < b for a, b in sure))
            after = [s for s in story.sessions if s > day]
            reported = local_time(after[0], 17, rng.randint(0, 59)) if after else None
            reported = min(
                reported or local + meeting.duration + datetime.timedelta(hours=2), cutoff
            )
            story.attendance.append(
                Attendance(
                    plan=plan,
                    occurrence_start=starts,
                    status=status,
                    reason=rng.choice(reasons)
                    if status == AttendanceStatus.MISSED and rng.random() < 0.7
                    else "",
                    note=rng.choice(content.ATTENDANCE_NOTES[status])
                    if rng.random() < 0.12
                    else "",
                    reported_by=ReportedBy.THERAPIST,
                    reported_by_user=story.therapist,
                    reported_at=reported,
                )
            )
            day += 7 * DAY


def _attendance_status(story: Story, day: datetime.date, sure: bool) -> str:
    chance = content.attend_chance(
        story.profile.arc,
        story.progress(day),
        story.step_on(day),
        story.lapse_p,
        story.discharged_on is not None,
    )
    if sure or story.rng.random() < chance:
        return AttendanceStatus.ATTENDED
    return AttendanceStatus.SKIPPED if story.rng.random() < 0.25 else AttendanceStatus.MISSED


def _phase(story: Story, index: int, day: datetime.date, step: int, stage: str) -> str:
    arc = story.profile.arc
    if index == 0:
        return "intake"
    if arc == "completed" and day == story.sessions[-1]:
        return "closing"
    if day == story.lapse_on:
        return "lapse"
    if story.lapse_on and day > story.lapse_on and step < story.profile.step - 1:
        return "return"
    if arc == "drifted" and story.progress(day) > 0.55:
        return "drifting"
    if arc in ("stuck", "disengaged") or stage == Stage.PRECONTEMPLATION:
        return "resistant"
    if step >= 5:
        return "engaged"
    return "trying" if step >= 2 else "exploring"


def _voiced(story: Story, day: datetime.date, lapse: bool) -> list[tuple[str, int]]:
    """The resistance themes heard in one session, strongest first."""
    rng, p = story.rng, story.progress(day)
    weight = content.theme_weight(story.profile.arc, p, story.lapse_p)
    voiced = {}
    for slug, base in story.profile.themes:
        level = min(3, round(base * weight + rng.uniform(-0.35, 0.35)))
        if level >= 1 and rng.random() < 0.85:  # not every barrier comes up every week
            voiced[slug] = level
    if lapse:
        voiced[content.FJ] = 3  # after a lapse, shame speaks as fear of being judged
    return sorted(voiced.items(), key=lambda item: -item[1])


def _attendance_lines(records: list[Attendance]) -> list[str]:
    lines = []
    for meeting in dict.fromkeys(a.plan.meeting for a in records):
        mine = [a for a in records if a.plan.meeting is meeting]
        went = sum(a.status == AttendanceStatus.ATTENDED for a in mine)
        why = next((content.REASON_PHRASES[a.reason] for a in mine if a.reason), "")
        why = f" ({why})" if why else ""
        if went == len(mine):
            lines.append(f"Went to {meeting_label(meeting)} as planned.")
        elif went:
            lines.append(f"Went to {meeting_label(meeting)} {went} of {len(mine)} times{why}.")
        else:
            lines.append(
                f"Did not make it to {meeting_label(meeting)} since the last session{why}."
            )
    return lines


def _note_text(
    story: Story, fmt: str, phase: str, ctx: dict, voiced: list, since: list, craving: bool
) -> tuple[dict[str, str], str]:
    rng, text = story.rng, content.PHASES[phase]

    def say(kind: str) -> str:
        return rng.choice(text[kind]).format(**ctx)

    went = _attendance_lines(since)
    missed_all = since and not any(a.status == AttendanceStatus.ATTENDED for a in since)
    report = say("report_missed" if missed_all and "report_missed" in text else "report")
    heard = [rng.choice(content.THEME_TEXT[slug][0]) for slug, _level in voiced[:2]]
    done = [rng.choice(content.THEME_TEXT[slug][1]) for slug, _level in voiced[:1]]
    craved = [rng.choice(content.CRAVING_LINES)] if craving else []
    part = {kind: say(kind) for kind in ("observed", "assessment", "response", "plan")}
    part["intervention"] = " ".join([say("intervention"), *done])
    part["body"] = " ".join([report, *went, *heard, *craved])
    part["short"] = " ".join([report, *went, *heard[:1]])
    return content.note_sections(fmt, part), say("next")


def write_notes(story: Story, client: Client, themes: dict) -> tuple[list, list, list]:
    """Session notes with their themes, and when each was written (for created_at)."""
    profile, rng = story.profile, story.rng
    denial = any(slug == content.DN for slug, _ in profile.themes)
    signed_count = len(story.sessions) - content.DRAFT_NOTES.get(profile.name, 0)
    notes, rows, stamps = [], [], []
    previous = datetime.date.min
    for index, day in enumerate(story.sessions):
        step = story.step_on(day)
        stage = content.stage_at(profile.arc, story.progress(day), story.lapse_p, denial)
        lapse = day == story.lapse_on or (profile.arc == "drifted" and day == story.sessions[-1])
        phase = _phase(story, index, day, step, stage)
        plan = story.plan_on(day)
        ctx = {
            "name": profile.name.split()[0],
            "use": content.USE_PHRASES[profile.substances[0]],
            "stage": Stage(stage).label.lower(),
            "meeting": meeting_label(plan.meeting if plan else story.suggested),
            "program": content.PROGRAM_SHORT[profile.programs[0]],
        }
        since = [
            a
            for a in story.attendance
            if a.status != AttendanceStatus.PLANNED
            and previous < a.occurrence_start.astimezone(TZ).date() <= day
        ]
        before_lapse = story.lapse_on is not None and 0 < (story.lapse_on - day).days <= 14
        craving = lapse or before_lapse or rng.random() < content.CRAVING_CHANCE[phase]
        fmt = NoteFormat.FREE if index and rng.random() < 0.1 else story.note_format
        voiced = _voiced(story, day, lapse)
        sections, next_steps = _note_text(
            story, fmt, phase, ctx, voiced, since, craving and not lapse
        )
        signed_at = local_time(day, rng.randint(16, 19), rng.randint(0, 59))
        signed = index < signed_count
        note = SessionNote(
            client=client,
            author=story.therapist,
            session_date=day,
            duration_minutes=60 if index == 0 else rng.choice((50, 50, 50, 50, 45, 55, 30)),
            format=fmt,
            sections=sections,
            stage_of_change=stage,
            craving_reported=craving,
            lapse_reported=lapse,
            next_steps=next_steps,
            status=NoteStatus.SIGNED if signed else NoteStatus.DRAFT,
            signed_at=signed_at if signed else None,
            signed_by=story.therapist if signed else None,
        )
        notes.append(note)
        stamps.append(signed_at)
        rows += [
            NoteTheme(
                note=note,
                client=client,
                session_date=note.session_date,
                theme=themes[slug],
                intensity=lvl,
            )
            for slug, lvl in voiced
        ]
        previous = day
    return notes, rows, stamps


def ladder_rows(story: Story, client: Client) -> list[LadderMove]:
    rows, previous = [], 0
    for on, step in story.moves:
        plan = story.plan_on(on)
        if previous == 0 and step > 1:
            comment = content.LADDER_ALREADY
        elif step < previous:
            comment = story.rng.choice(content.LADDER_DOWN)
        else:
            label = meeting_label(plan.meeting) if plan else "a meeting"
            comment = story.rng.choice(content.LADDER_UP[step]).format(meeting=label)
        rows.append(
            LadderMove(
                client=client,
                step=step,
                reached_on=on,
                comment=comment,
                recorded_by=story.therapist,
                created_at=local_time(on, 17, story.rng.randint(0, 59)),
            )
        )
        previous = step
    return rows


def new_client(story: Story, practice: Practice) -> Client:
    profile, rng = story.profile, story.rng
    folded = unicodedata.normalize("NFKD", profile.name).encode("ascii", "ignore").decode()
    first, initial = folded.lower().replace(".", "").split()
    email = f"{first}.{initial}{rng.randint(10, 99)}@{rng.choice(content.CLIENT_EMAIL_DOMAINS)}"
    late_evenings = rng.random() < 0.25
    return Client(
        practice=practice,
        primary_therapist=story.therapist,
        preferred_name=profile.name,
        contact_email="" if not profile.consent and rng.random() < 0.3 else email,
        substances=list(profile.substances),
        notes=profile.notes,
        reminder_lead_minutes=rng.choice((60, 120, 120, 180, 24 * 60)),
        checkin_enabled=rng.random() < 0.85,
        quiet_hours_start=datetime.time(22 if late_evenings else 21),
        quiet_hours_end=datetime.time(7 if late_evenings else 8),
        discreet_mode=rng.random() < 0.9,
    )


def record_consent(story: Story, client: Client) -> None:
    if not story.profile.consent:
        return
    agreed_on = min((plan.starts_on for plan in story.plans), default=story.sessions[0])
    client.email_consent_at = local_time(agreed_on, 16, story.rng.randint(0, 59))
    client.email_consent_recorded_by = story.therapist
    client.email_consent_text = content.CONSENT_TEXT
    if story.profile.consent == "withdrawn":
        withdrawn = client.email_consent_at + story.rng.randint(25, 45) * DAY
        client.email_consent_withdrawn_at = min(withdrawn, local_time(story.today, 0) - DAY / 2)
