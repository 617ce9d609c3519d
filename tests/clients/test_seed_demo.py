"""`manage.py seed_demo`: one demo practice, created once, telling the same stories every time."""

import datetime
import io
import itertools
import json
import re
import zoneinfo

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.test import Client as HttpClient
from django.test import RequestFactory, override_settings

from clients.models import (
    NOTE_SECTIONS,
    Attendance,
    AttendanceStatus,
    Client,
    ClientStatus,
    LadderMove,
    MeasureRequest,
    MeasureSource,
    MeetingPlan,
    NoteStatus,
    NoteTheme,
    OutcomeMeasure,
    ReminderKind,
    ReminderStatus,
    ReportedBy,
    SessionNote,
    StageOfChange,
)
from clients.outcomes import INSTRUMENTS, score
from clients.selectors.outcomes import latest_phq9_flag
from groups.models import AttendanceOption, Meeting
from recovery.models import Practice, Role, User
from seeding.demo import DemoResult, demo_practice_seed

# A Monday a week after US clocks went forward: six months of history cross both changes.
TODAY = datetime.date(2026, 3, 16)
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
DEMO_PASSWORD = "bridge-demo-2026"
# Meeting Guide type codes, as code4recovery's TSML UI lists them.
# fmt: off
MEETING_GUIDE_TYPES = {
    "11", "12x12", "A", "ABSI", "AL", "AL-AN", "ASL", "B", "BA", "BE", "BI", "BRK", "C", "CAN",
    "CF", "D", "DB", "DD", "DR", "EN", "FF", "FR", "G", "GR", "H", "HE", "ITA", "JA", "KOR", "L",
    "LGBTQ", "LIT", "LS", "M", "MED", "N", "NDG", "O", "OUT", "P", "POC", "POL", "POR", "PUN",
    "RUS", "S", "SEN", "SM", "SP", "SPD", "ST", "T", "TC", "TR", "W", "X", "XB", "XT", "Y",
}
# fmt: on
RESERVED_EMAIL = re.compile(r"^[a-z0-9.]+@example\.(com|net|org)$")
# Greater Portland, Maine, with room to spare.
REGION = {"lat": (43.3, 44.1), "lon": (-70.8, -69.8)}

# The demo is a laptop's: seed_demo refuses to run with DEBUG off.
pytestmark = pytest.mark.usefixtures("development")


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def ladder_steps(client: Client) -> list[int]:
    return [move.step for move in client.ladder_moves.order_by("reached_on", "created_at", "id")]


def histories(measures: list[OutcomeMeasure]) -> dict[tuple[str, str], list[OutcomeMeasure]]:
    """Each client's measures on each instrument, oldest first, by (client name, instrument)."""
    found: dict[tuple[str, str], list[OutcomeMeasure]] = {}
    for measure in sorted(measures, key=lambda m: (m.administered_on, m.pk)):
        found.setdefault((measure.client.preferred_name, measure.instrument), []).append(measure)
    return found


def gaps(history: list[OutcomeMeasure]) -> list[int]:
    return [(b.administered_on - a.administered_on).days for a, b in itertools.pairwise(history)]


def test_seed_demo_twice_creates_nothing_the_second_time_and_still_prints_sign_ins(db):
    call_command("seed_demo", stdout=io.StringIO())
    after_first = row_counts()
    second = io.StringIO()
    call_command("seed_demo", stdout=second)
    assert row_counts() == after_first
    assert after_first["clients.Client"] > 0
    assert after_first["clients.OutcomeMeasure"] > 0
    assert after_first["clients.MeasureRequest"] == 1
    assert "already exists" in second.getvalue()
    assert "morgan.ellis@harborlight.example" in second.getvalue()
    assert DEMO_PASSWORD in second.getvalue()


def test_seed_demo_prints_the_practice_every_sign_in_and_the_password(db):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    practice = Practice.objects.get()
    assert practice.name in printed
    staff = User.objects.filter(practice=practice)
    assert {user.role for user in staff} == {Role.MANAGER, Role.ADMIN, Role.THERAPIST}
    for user in staff:
        assert user.email in printed
        assert user.full_name in printed
        assert user.get_role_display() in printed
    assert DEMO_PASSWORD in printed
    assert "http://127.0.0.1:8000/" in printed


def test_seed_demo_prints_a_link_that_opens_a_clients_own_page(db):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    link = re.search(r"own page, as the link in every email opens it: (\S+)", out.getvalue())
    path = link.group(1).removeprefix("http://127.0.0.1:8000")
    browser = HttpClient()
    assert browser.get(path)["Location"] == "/me/"
    assert browser.get("/me/").status_code == 200


def snapshot(practice: Practice) -> list:
    """Everything a reader would notice, by natural keys: ids differ after a rollback."""
    notes = SessionNote.objects.filter(client__practice=practice).select_related("client")
    return [
        sorted(
            (
                c.preferred_name,
                c.contact_email,
                c.stage_of_change,
                c.status,
                c.discharged_on,
                c.email_consent_at,
                c.email_consent_withdrawn_at,
                c.primary_therapist.email,
            )
            for c in Client.objects.filter(practice=practice).select_related("primary_therapist")
        ),
        sorted(
            (
                n.client.preferred_name,
                n.session_date,
                n.format,
                n.status,
                n.stage_of_change,
                n.craving_reported,
                n.lapse_reported,
                n.signed_at,
                sorted(n.sections.items()),
                n.next_steps,
                n.created_at,
            )
            for n in notes
        ),
        sorted(
            NoteTheme.objects.filter(note__client__practice=practice).values_list(
                "note__client__preferred_name", "note__session_date", "theme__slug", "intensity"
            )
        ),
        sorted(
            LadderMove.objects.filter(client__practice=practice).values_list(
                "client__preferred_name", "reached_on", "step", "comment"
            )
        ),
        sorted(
            MeetingPlan.objects.filter(client__practice=practice).values_list(
                "client__preferred_name", "meeting__name", "meeting__day", "starts_on", "until"
            )
        ),
        sorted(
            Attendance.objects.filter(plan__client__practice=practice).values_list(
                "plan__client__preferred_name",
                "occurrence_start",
                "status",
                "reason",
                "reported_at",
            )
        ),
        sorted(
            Meeting.objects.values_list(
                "name",
                "day",
                "start_time",
                "attendance_option",
                "location_name",
                "latitude",
                "longitude",
                "conference_url",
            )
        ),
        sorted(str(m.types) for m in Meeting.objects.all()),
        sorted(
            (
                m.client.preferred_name,
                m.instrument,
                m.administered_on,
                sorted(m.responses.items()),
                m.total,
                sorted(m.subscales.items()),
                m.band,
                m.safety_flag,
                m.source,
                m.created_at,
            )
            for m in OutcomeMeasure.objects.filter(client__practice=practice).select_related(
                "client"
            )
        ),
        sorted(
            MeasureRequest.objects.filter(client__practice=practice).values_list(
                "client__preferred_name", "instrument", "created_at", "expires_at", "completed_at"
            )
        ),
    ]


def test_the_same_day_gives_the_same_practice(db):
    with transaction.atomic():
        first = snapshot(demo_practice_seed(today=TODAY).practice)
        transaction.set_rollback(True)
    assert not Practice.objects.exists()
    second = snapshot(demo_practice_seed(today=TODAY).practice)
    assert first == second


class TestTheDemoPractice:
    """Facts about one demo practice, built once for the class and rolled back after it."""

    @pytest.fixture(scope="class")
    @classmethod
    def demo(cls, django_db_setup, django_db_blocker) -> DemoResult:
        # Building takes about a second; once per class instead of once per test. Each test
        # still runs in its own savepoint inside this transaction.
        hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        with (
            django_db_blocker.unblock(),
            override_settings(PASSWORD_HASHERS=hashers),
            transaction.atomic(),
        ):
            yield demo_practice_seed(today=TODAY)
            transaction.set_rollback(True)

    @pytest.fixture
    def clients(self, demo, db) -> list[Client]:
        return list(Client.objects.filter(practice=demo.practice).order_by("preferred_name"))

    def test_the_practice_is_discreet_and_in_new_york_time(self, demo, db):
        assert demo.created
        assert demo.practice.time_zone == "America/New_York"
        assert "care team" in demo.practice.email_sender_name

    def test_the_manager_signs_in_with_the_demo_password(self, demo, db):
        manager = User.objects.get(practice=demo.practice, role=Role.MANAGER)
        # The lockout backend needs the request a sign-in arrives with.
        request = RequestFactory().post("/sign-in/")
        assert authenticate(request, email=manager.email, password=DEMO_PASSWORD) == manager
        wrong = "not-the-demo-password"
        assert authenticate(request, email=manager.email, password=wrong) is None

    def test_staff_sit_on_a_reserved_domain_and_only_the_admin_reaches_the_admin_site(
        self, demo, db
    ):
        staff = User.objects.filter(practice=demo.practice)
        assert all(user.email.endswith("@harborlight.example") for user in staff)
        assert all(user.check_password(DEMO_PASSWORD) for user in staff)
        assert [u.role for u in staff if u.is_staff] == [Role.ADMIN]
        assert staff.filter(role=Role.THERAPIST).count() == 3

    def test_about_forty_clients_are_spread_over_the_three_therapists(self, demo, clients):
        assert 35 <= len(clients) <= 45
        therapists = User.objects.filter(practice=demo.practice, role=Role.THERAPIST)
        for therapist in therapists:
            assert sum(c.primary_therapist_id == therapist.pk for c in clients) >= 10
        assert {c.practice_id for c in clients} == {demo.practice.pk}

    def test_clients_have_reserved_emails_and_known_substances(self, clients):
        emails = [c.contact_email for c in clients if c.contact_email]
        assert emails
        assert all(RESERVED_EMAIL.match(email) for email in emails)
        known = {
            "alcohol",
            "opioids",
            "stimulants",
            "cannabis",
            "benzodiazepines",
            "nicotine",
            "gambling",
            "other",
        }
        assert all(c.substances and set(c.substances) <= known for c in clients)

    def test_consent_is_recorded_by_the_therapist_and_one_client_withdrew_it(self, clients):
        consenting = [c for c in clients if c.email_consent_at]
        assert len(consenting) >= 10
        for client in consenting:
            assert client.email_consent_recorded_by_id == client.primary_therapist_id
            assert "reminder emails" in client.email_consent_text
            assert client.contact_email
        withdrawn = [c for c in clients if c.email_consent_withdrawn_at]
        assert len(withdrawn) == 1
        assert withdrawn[0].email_consent_at < withdrawn[0].email_consent_withdrawn_at
        assert withdrawn[0].email_consent_withdrawn_at.astimezone(NEW_YORK).date() < TODAY

    def test_discharged_clients_have_a_date_and_nothing_still_planned(self, clients):
        discharged = [c for c in clients if c.status == ClientStatus.DISCHARGED]
        assert len(discharged) >= 2
        for client in discharged:
            assert client.discharged_on < TODAY
            assert client.session_notes.filter(session_date__gt=client.discharged_on).count() == 0
            assert not Attendance.objects.filter(
                plan__client=client, status=AttendanceStatus.PLANNED
            ).exists()

    def test_notes_cover_six_months_and_never_the_future(self, demo, clients):
        notes = SessionNote.objects.filter(client__practice=demo.practice)
        dates = [note.session_date for note in notes]
        assert min(dates) >= TODAY - datetime.timedelta(days=190)
        assert min(dates) <= TODAY - datetime.timedelta(days=170)
        assert max(dates) < TODAY
        newcomers = [c for c in clients if c.session_notes.count() <= 6]
        assert len(newcomers) >= 3

    def test_signed_notes_are_signed_that_evening_by_their_author(self, demo, db):
        signed = SessionNote.objects.filter(
            client__practice=demo.practice, status=NoteStatus.SIGNED
        ).select_related("client")
        assert signed.count() > 500
        for note in signed:
            assert note.signed_by_id == note.author_id == note.client.primary_therapist_id
            local = note.signed_at.astimezone(NEW_YORK)
            assert local.date() == note.session_date
            assert local.hour >= 16

    def test_a_few_recent_notes_are_left_as_drafts(self, demo, db):
        drafts = SessionNote.objects.filter(client__practice=demo.practice, status=NoteStatus.DRAFT)
        assert 2 <= drafts.count() <= 8
        assert 1 <= len({note.client_id for note in drafts}) <= 2
        for note in drafts:
            assert note.signed_at is None and note.signed_by is None
            assert note.session_date >= TODAY - datetime.timedelta(days=42)
            later = note.client.session_notes.filter(session_date__gt=note.session_date)
            assert all(n.status == NoteStatus.DRAFT for n in later)

    def test_every_note_fills_the_sections_of_its_format(self, demo, db):
        notes = SessionNote.objects.filter(client__practice=demo.practice)
        assert {note.format for note in notes} == {"dap", "soap", "birp", "free"}
        for note in notes:
            expected = [key for key, _label, _help in NOTE_SECTIONS[note.format]]
            assert sorted(note.sections) == sorted(expected)
            assert all(text.strip() for text in note.sections.values())
            assert not any("{" in text for text in [*note.sections.values(), note.next_steps])

    def test_clinical_text_uses_person_first_language(self, demo, db):
        notes = SessionNote.objects.filter(client__practice=demo.practice)
        text = " ".join(str(note.sections) for note in notes).lower()
        for label in ("addict ", "addicts", "alcoholic", "junkie", "abuser", " clean ", "dirty"):
            assert label not in text

    def test_themes_come_from_the_taxonomy_with_intensity_1_to_3(self, demo, db):
        themes = NoteTheme.objects.filter(note__client__practice=demo.practice)
        assert themes.count() > 200
        assert set(themes.values_list("intensity", flat=True)) <= {1, 2, 3}
        assert not themes.filter(theme__practice__isnull=False).exists()

    def test_some_clients_warm_to_groups(self, clients):
        warming = []
        for client in clients:
            notes = list(client.session_notes.order_by("session_date"))
            steps = ladder_steps(client)
            if len(notes) >= 15 and steps[0] == 1 and steps[-1] >= 5:
                early = sum(nt.intensity for n in notes[:3] for nt in n.note_themes.all())
                late = sum(nt.intensity for n in notes[-3:] for nt in n.note_themes.all())
                advanced = notes[-1].stage_of_change in (
                    StageOfChange.ACTION,
                    StageOfChange.MAINTENANCE,
                )
                if (
                    late < early
                    and advanced
                    and notes[0].stage_of_change == StageOfChange.CONTEMPLATION
                ):
                    warming.append(client)
        assert len(warming) >= 5

    def test_some_clients_stay_stuck(self, clients):
        stuck = []
        for client in clients:
            notes = list(client.session_notes.order_by("session_date"))
            strong = [nt.intensity for n in notes[-5:] for nt in n.note_themes.all()]
            if len(notes) >= 15 and max(ladder_steps(client)) <= 2 and strong and min(strong) >= 2:
                stuck.append(client)
        assert len(stuck) >= 3

    def test_one_client_lapses_steps_down_and_climbs_again(self, clients):
        returns = []
        for client in clients:
            moves = list(client.ladder_moves.order_by("reached_on", "created_at", "id"))
            for before, down, after in zip(moves, moves[1:], moves[2:], strict=False):
                if down.step < before.step and after.step > down.step:
                    lapse = client.session_notes.get(session_date=down.reached_on)
                    assert lapse.lapse_reported
                    assert "lapse" in down.comment.lower()
                    returns.append(client)
        assert returns

    def test_ladder_moves_are_dated_steps_recorded_by_the_therapist(self, demo, clients):
        moves = LadderMove.objects.filter(client__practice=demo.practice).select_related("client")
        assert {move.step for move in moves} == set(range(1, 9))
        for move in moves:
            assert move.recorded_by_id == move.client.primary_therapist_id
            assert move.reached_on < TODAY
            assert move.comment
        assert all(ladder_steps(client) for client in clients)

    def test_clients_on_the_ladder_plan_meetings_and_their_attendance_is_reported(self, clients):
        for client in clients:
            steps = ladder_steps(client)
            plans = list(client.meeting_plans.select_related("meeting"))
            assert bool(plans) == (max(steps) >= 2), client
            for plan in plans:
                assert plan.recurrence == "weekly"
                assert plan.starts_on < TODAY
                assert plan.until is None or plan.until >= plan.starts_on
                past = plan.attendances.exclude(status=AttendanceStatus.PLANNED)
                for record in past:
                    assert record.reported_by == ReportedBy.THERAPIST
                    assert record.reported_by_user_id == client.primary_therapist_id
                    assert record.occurrence_start < record.reported_at
                    assert record.status != AttendanceStatus.ATTENDED or not record.reason
                upcoming = plan.attendances.filter(status=AttendanceStatus.PLANNED)
                still_on = plan.until is None and client.status == ClientStatus.ACTIVE
                assert upcoming.count() == (1 if still_on else 0)

    def test_attendance_falls_on_the_meetings_local_day_and_time(self, demo, db):
        records = Attendance.objects.filter(plan__client__practice=demo.practice)
        statuses = set(records.values_list("status", flat=True))
        assert statuses == {"attended", "missed", "skipped", "planned"}
        assert records.exclude(reason="").exists()
        cutoff = datetime.datetime.combine(TODAY, datetime.time(0), tzinfo=NEW_YORK)
        for record in records.select_related("plan__meeting"):
            meeting = record.plan.meeting
            local = record.occurrence_start.astimezone(zoneinfo.ZoneInfo(meeting.time_zone))
            assert local.time() == meeting.start_time
            assert (local.weekday() + 1) % 7 == meeting.day  # Meeting.day: 0 is Sunday
            assert (record.occurrence_start >= cutoff) == (record.status == "planned")

    def test_about_two_hundred_meetings_cover_every_day(self, demo, db):
        meetings = list(Meeting.objects.select_related("program"))
        assert 180 <= len(meetings) <= 220
        assert {m.day for m in meetings} == set(range(7))
        by_program = {}
        for meeting in meetings:
            by_program[meeting.program.key] = by_program.get(meeting.program.key, 0) + 1
        assert max(by_program, key=by_program.get) == "AA"
        assert by_program["NA"] > by_program["SMART"]
        expected = {"AA", "NA", "SMART", "RD", "CA", "LIFERING", "WFS", "CR", "ALANON"}
        assert set(by_program) == expected
        assert {m.attendance_option for m in meetings} == set(AttendanceOption.values)
        assert min(m.start_time for m in meetings) < datetime.time(8)
        assert max(m.start_time for m in meetings) >= datetime.time(20)

    def test_meetings_are_weekly_catalogue_rows_in_new_york_time(self, demo, db):
        for meeting in Meeting.objects.all():
            assert meeting.feed is None and meeting.is_active
            assert meeting.time_zone == "America/New_York"
            assert meeting.duration in (
                datetime.timedelta(minutes=60),
                datetime.timedelta(minutes=90),
            )

    def test_meeting_types_are_meeting_guide_codes_and_agree_with_each_other(self, demo, db):
        for meeting in Meeting.objects.select_related("program"):
            codes = set(meeting.types)
            assert codes <= MEETING_GUIDE_TYPES, meeting
            assert len(codes & {"O", "C"}) == 1, meeting
            assert not {"W", "M"} <= codes, meeting
            if meeting.program.key == "WFS" or "Women" in meeting.name:
                assert "W" in codes, meeting
            if "Men's" in meeting.name:
                assert "M" in codes, meeting
            if meeting.attendance_option == AttendanceOption.ONLINE:
                assert "X" not in codes, meeting

    def test_the_practice_publishes_a_list_of_meetings_it_recommends(self, demo, db):
        from groups.models import PublishedList

        published = PublishedList.objects.get(practice=demo.practice)
        response = HttpClient().get(f"/meetings/published/{published.slug}/meetings.json")
        records = json.loads(response.content)
        assert published.is_published and 10 <= len(records) <= 20
        assert {record["day"] for record in records} == set(range(7))
        assert {"online", "in_person"} <= {record["attendance_option"] for record in records}
        assert {"SMART", "AA"} <= {record["program"] for record in records}

    def test_rooms_are_in_the_region_and_links_on_a_placeholder_domain(self, demo, db):
        for meeting in Meeting.objects.all():
            online = meeting.attendance_option != AttendanceOption.IN_PERSON
            in_room = meeting.attendance_option != AttendanceOption.ONLINE
            assert meeting.conference_url.startswith("https://meet.example.org/") == online
            assert bool(meeting.address) == in_room
            if in_room:
                assert REGION["lat"][0] < meeting.latitude < REGION["lat"][1]
                assert REGION["lon"][0] < meeting.longitude < REGION["lon"][1]
                assert meeting.region == "ME" and meeting.postal_code.startswith("04")
            else:
                assert meeting.latitude is None and meeting.longitude is None

    # --- Outcome measures ---------------------------------------------------------------

    @pytest.fixture
    def measures(self, demo, db) -> list[OutcomeMeasure]:
        return list(
            OutcomeMeasure.objects.filter(client__practice=demo.practice).select_related(
                "client", "request__reminder"
            )
        )

    def test_every_instrument_has_a_history(self, measures):
        by_instrument = {}
        for (_name, key), history in histories(measures).items():
            by_instrument[key] = max(by_instrument.get(key, 0), len(history))
        assert set(by_instrument) == set(INSTRUMENTS)
        assert all(count >= 3 for count in by_instrument.values()), by_instrument

    def test_the_stored_figures_are_the_scores_of_the_stored_answers(self, measures):
        for measure in measures:
            result = score(measure.instrument, measure.responses)
            assert (measure.total, measure.subscales, measure.band, measure.safety_flag) == (
                result.total,
                result.subscales,
                result.band or "",
                bool(result.flags),
            ), measure

    def test_the_therapist_enters_measures_at_a_session_and_none_in_the_future(self, measures):
        for measure in measures:
            assert measure.administered_on < TODAY
            if measure.source == MeasureSource.THERAPIST:
                client = measure.client
                assert measure.entered_by_id == client.primary_therapist_id
                assert client.session_notes.filter(session_date=measure.administered_on).exists()
                assert measure.created_at.astimezone(NEW_YORK).date() == measure.administered_on

    def test_recovery_capital_grows_for_one_client_and_stays_flat_for_another(self, measures):
        barc = [h for (_name, key), h in histories(measures).items() if key == "barc10"]
        assert all(70 <= gap <= 110 for history in barc for gap in gaps(history))
        totals = [[measure.total for measure in history] for history in barc]
        assert any(
            len(t) >= 3 and 35 <= t[0] <= 39 and t[-1] >= 47 and t == sorted(t) for t in totals
        ), totals
        assert any(len(t) >= 3 and max(t) - min(t) <= 2 for t in totals), totals

    def test_one_clients_monthly_bam_shows_use_falling_and_protection_rising(self, measures):
        improving = []
        for (name, key), history in histories(measures).items():
            if key != "bam":
                continue
            assert all(21 <= gap <= 42 for gap in gaps(history)), name
            first, last = history[0].subscales, history[-1].subscales
            if (
                last["use"] == 0 < first["use"]
                and last["risk"] < first["risk"]
                and last["protective"] > first["protective"]
            ):
                improving.append(name)
        assert improving

    def test_a_lapse_shows_as_use_in_the_bam_after_it(self, measures):
        shown = []
        for (name, key), history in histories(measures).items():
            if key != "bam":
                continue
            lapses = history[0].client.session_notes.filter(lapse_reported=True)
            lapse_days = list(lapses.values_list("session_date", flat=True))
            for before, after in itertools.pairwise(history):
                if any(before.administered_on < day <= after.administered_on for day in lapse_days):
                    assert after.subscales["use"] > before.subscales["use"], name
                    shown.append(name)
        assert shown

    def test_the_client_with_mood_themes_improves_on_the_phq9_and_gad7(self, measures):
        by_client = histories(measures)
        names = {name for name, key in by_client if key == "phq9"}
        assert names and names == {name for name, key in by_client if key == "gad7"}
        for name in names:
            phq9, gad7 = by_client[name, "phq9"], by_client[name, "gad7"]
            assert (phq9[0].band, phq9[-1].band) == ("Moderately severe", "Mild")
            assert gad7[0].total > gad7[-1].total and gad7[-1].band == "Mild"
            assert NoteTheme.objects.filter(
                note__client=phq9[0].client, theme__slug="co-occurring-mental-health"
            ).exists()

    def test_one_earlier_phq9_raised_the_safety_flag_and_no_latest_one_does(self, demo, measures):
        phq9 = [measure for measure in measures if measure.instrument == "phq9"]
        [flagged] = [measure for measure in phq9 if measure.responses["9"] > 0]
        assert flagged.safety_flag
        later = [
            m
            for m in phq9
            if m.client_id == flagged.client_id and m.administered_on > flagged.administered_on
        ]
        assert later and all(m.responses["9"] == 0 and not m.safety_flag for m in later)
        caseload = Client.objects.filter(practice=demo.practice).annotate(flag=latest_phq9_flag())
        assert not caseload.filter(flag=True).exists()

    def test_readiness_rulers_keep_importance_and_confidence_apart(self, measures):
        rulers = [measure for measure in measures if measure.instrument == "readiness_ruler"]
        assert len({measure.client_id for measure in rulers}) >= 2
        for measure in rulers:
            assert measure.total is None and measure.band == ""
            assert set(measure.subscales) == {"importance", "confidence"}
        # Someone sure they could stop who sees little reason to: the lever MI works on.
        assert any(m.subscales["importance"] < m.subscales["confidence"] for m in rulers)

    def test_one_measure_was_answered_by_the_client_from_an_emailed_link(self, demo, measures):
        [answered] = [measure for measure in measures if measure.source == MeasureSource.CLIENT]
        request, client = answered.request, answered.client
        assert answered.entered_by is None
        assert (request.client_id, request.instrument) == (client.pk, answered.instrument)
        assert request.requested_by_id == client.primary_therapist_id
        assert request.created_at < request.completed_at < request.expires_at
        assert request.completed_at.astimezone(NEW_YORK).date() == answered.administered_on
        assert client.has_email_consent and client.email_consent_at < request.created_at
        email = request.reminder
        assert (email.kind, email.status) == (ReminderKind.MEASURE, ReminderStatus.SENT)
        assert request.created_at <= email.sent_at < request.completed_at
        assert MeasureRequest.objects.filter(client__practice=demo.practice).count() == 1


SEED_IN_PRODUCTION = """
import django
django.setup()
from django.core.management import call_command
from django.core.management.base import CommandError
call_command("migrate", verbosity=0)
try:
    call_command("seed_demo")
except CommandError as error:
    print("REFUSED:", error)
from recovery.models import Practice, User
print("ROWS:", Practice.objects.count(), User.objects.count())
"""


def test_seed_demo_refuses_in_production_and_changes_nothing(tmp_path):
    from tests.recovery.test_deploy_check import run_production

    result = run_production(tmp_path, ["-c", SEED_IN_PRODUCTION])
    assert result.returncode == 0, result.stderr
    assert "REFUSED: seed_demo refuses to run with DJANGO_DEBUG=0" in result.stdout
    assert "create_practice" in result.stdout
    assert "ROWS: 0 0" in result.stdout


def test_seed_demo_names_the_sites_own_address(db, settings):
    settings.SITE_URL = "http://127.0.0.1:8123"
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Sign in at http://127.0.0.1:8123/ as any of:" in out.getvalue()
