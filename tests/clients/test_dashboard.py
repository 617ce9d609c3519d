"""The caseload dashboard: hand-computed figures on a small fixed practice, scope, CSV."""

import csv
import datetime
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import Client, Reminder, ResistanceTheme
from clients.selectors import dashboard
from clients.services.notes import session_note_update
from clients.services.outcomes import outcome_measure_store
from tests.factories import (
    AttendanceFactory,
    ClientFactory,
    LadderMoveFactory,
    MeetingPlanFactory,
    NoteThemeFactory,
    SessionNoteFactory,
    UserFactory,
)

# Friday Nov 27 2026, noon in New York.
NOW = datetime.datetime(2026, 11, 27, 17, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 27)
DAY = datetime.timedelta(days=1)
URL = reverse("clients:dashboard")
SECRET = "Private words about the session"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def attended(plan, when, status="attended"):
    return AttendanceFactory(
        plan=plan,
        occurrence_start=when,
        status=status,
        reported_by="therapist",
        reported_by_user=plan.client.primary_therapist,
        reported_at=when,
    )


@pytest.fixture
def practice_data(therapist, colleague):
    """Three active clients and one discharged mid-period, with known histories."""
    start = NOW - 200 * DAY
    ana = ClientFactory(primary_therapist=therapist, preferred_name="Ana")
    ben = ClientFactory(primary_therapist=therapist, preferred_name="Ben")
    cy = ClientFactory(primary_therapist=colleague, preferred_name="Cy")
    dee = ClientFactory(
        primary_therapist=colleague,
        preferred_name="Dee",
        status="discharged",
        discharged_on=TODAY - 40 * DAY,
    )
    from clients.models import Client

    Client.objects.update(created_at=start)
    fear = ResistanceTheme.objects.get(practice=None, slug="fear-of-judgment")
    twelve = ResistanceTheme.objects.get(practice=None, slug="twelve-step-spirituality")
    # Ana: seen this week, climbed 1 → 3, attended 10 days ago, a meeting at midnight.
    note = SessionNoteFactory(
        client=ana,
        session_date=TODAY - 2 * DAY,
        sections={"data": SECRET, "assessment": "", "plan": ""},
    )
    NoteThemeFactory(note=note, theme=fear, intensity=3)
    LadderMoveFactory(client=ana, step=1, reached_on=TODAY - 100 * DAY)
    LadderMoveFactory(client=ana, step=3, reached_on=TODAY - 20 * DAY)
    plan = MeetingPlanFactory(client=ana, starts_on=TODAY - 60 * DAY)
    attended(plan, datetime.datetime(2026, 11, 17, 5, 0, tzinfo=datetime.UTC))  # local midnight
    # Ben: last session 30 days ago, two missed meetings this month, moved down 4 → 2.
    SessionNoteFactory(
        client=ben,
        session_date=TODAY - 30 * DAY,
        status="signed",
        signed_at=NOW - 29 * DAY,
        signed_by=therapist,
    )
    LadderMoveFactory(client=ben, step=4, reached_on=TODAY - 95 * DAY)
    LadderMoveFactory(client=ben, step=2, reached_on=TODAY - 10 * DAY)
    plan = MeetingPlanFactory(client=ben, starts_on=TODAY - 60 * DAY)
    attended(plan, NOW - 5 * DAY, status="missed")
    attended(plan, NOW - 12 * DAY, status="missed")
    # Cy: seen yesterday with a lapse, a draft left unsigned for 3 days, themes twice.
    lapse = SessionNoteFactory(client=cy, session_date=TODAY - DAY, lapse_reported=True)
    NoteThemeFactory(note=lapse, theme=twelve, intensity=2)
    draft = SessionNoteFactory(client=cy, session_date=TODAY - 3 * DAY)
    NoteThemeFactory(note=draft, theme=fear, intensity=1)
    # Dee: discharged 40 days ago, attended 45 days ago.
    plan = MeetingPlanFactory(client=dee, starts_on=TODAY - 90 * DAY)
    attended(plan, NOW - 45 * DAY)
    # Outcome measures: Ana's BARC-10 up from 30 to 40; Cy's PHQ-9 19 and flagged.
    for client, instrument, answer, days_ago in (
        (ana, "barc10", 3, 150),
        (ana, "barc10", 4, 2),
        (cy, "phq9", 2, 1),  # 2 on the first eight items and 3 on item 9
    ):
        count = 10 if instrument == "barc10" else 9
        responses = {str(n): answer for n in range(1, count + 1)}
        if instrument == "phq9":
            responses["9"] = 3
        outcome_measure_store(
            client=client,
            instrument=instrument,
            responses=responses,
            administered_on=TODAY - days_ago * DAY,
            source="therapist",
            entered_by=client.primary_therapist,
        )
    return {"ana": ana, "ben": ben, "cy": cy, "dee": dee}


def page(as_user, user, **params):
    response = as_user(user).get(URL, params)
    assert response.status_code == 200
    return response


def test_figures_match_hand_computed_values(as_user, manager, practice_data):
    # A second meeting for Ana in the same windows: she still counts once in each.
    attended(practice_data["ana"].meeting_plans.get(), NOW - 3 * DAY)
    context = page(as_user, manager).context
    assert {r["full_name"]: r["active"] for r in context["therapists"]} == {
        "Dana Owner": 2,
        "Casey Colleague": 1,
    }
    steps = {row["step"]: row["clients"] for row in context["funnel"]["rows"]}
    assert (steps[0], steps[2], steps[3]) == (1, 1, 1)  # Cy has no step; Dee is discharged
    # In the last 90 days: Ana 1 → 3 (up) and Ben 4 → 2 (down); the older moves are outside.
    assert (context["funnel"]["up"], context["funnel"]["down"]) == (1, 1)
    this_week = context["attendance"][-1]
    assert (this_week["active"], this_week["attended"]) == (3, 1)  # Dee left before this week
    six_weeks_ago = context["attendance"][-7]
    assert (six_weeks_ago["active"], six_weeks_ago["attended"]) == (4, 1)  # Dee still active
    # Dee attended inside this window but had left by its end: in neither count.
    five_weeks_ago = context["attendance"][-6]
    assert (five_weeks_ago["active"], five_weeks_ago["attended"]) == (3, 0)
    drifting = {row["client"].preferred_name: row["reasons"] for row in context["drifting"]}
    assert drifting == {
        "Ben": ["missed 2 planned meetings in 30 days", "no session in 21 days"],
        "Cy": ["lapse flagged"],
    }
    assert [(r["theme__name"], r["times"]) for r in context["themes"]["overall"]] == [
        ("Fear of judgment or labels", 2),
        ("Objection to 12-step spirituality", 1),
    ]
    # The default 90 days run from Aug 30: four months, every theme voiced in November.
    assert [month.month for month in context["themes"]["months"]] == [8, 9, 10, 11]
    assert [r["by_month"] for r in context["themes"]["overall"]] == [[0, 0, 0, 2], [0, 0, 0, 1]]
    assert context["unsigned"] == [{"author__full_name": "Casey Colleague", "notes": 1}]


def test_a_therapist_sees_only_their_own_caseload(as_user, therapist, practice_data):
    context = page(as_user, therapist).context
    assert [r["full_name"] for r in context["therapists"]] == ["Dana Owner"]
    assert {row["client"].preferred_name for row in context["drifting"]} == {"Ben"}


def test_the_therapist_filter_narrows_a_managers_view(as_user, manager, colleague, practice_data):
    context = page(as_user, manager, therapist=colleague.pk).context
    assert {row["client"].preferred_name for row in context["drifting"]} == {"Cy"}


def test_outsiders_see_only_their_own_practice(as_user, outsider, practice_data):
    foreign = UserFactory(practice=outsider.practice)
    context = page(as_user, outsider, therapist=practice_data["ana"].primary_therapist_id).context
    assert context["drifting"] == []
    assert [r["full_name"] for r in context["therapists"]] == [foreign.full_name]


def test_managers_never_see_note_text(as_user, manager, practice_data):
    body = page(as_user, manager).content.decode()
    assert SECRET not in body
    for table in dashboard_tables():
        assert SECRET not in page(as_user, manager, csv=table).content.decode()


def dashboard_tables():
    from clients.views.dashboard import TABLES

    return TABLES


def test_every_table_downloads_as_csv(as_user, manager, practice_data):
    for table in dashboard_tables():
        response = page(as_user, manager, csv=table)
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert len(rows) >= 2, table
    themes = list(csv.reader(io.StringIO(page(as_user, manager, csv="themes").content.decode())))
    assert themes[0] == [
        "theme",
        "times voiced",
        "average intensity",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
    ]
    assert themes[1] == ["Fear of judgment or labels", "2", "2.0", "0", "0", "0", "2"]
    assert as_user(manager).get(URL, {"csv": "secrets"}).status_code == 404


def test_csv_cells_that_look_like_formulas_are_neutralised(as_user, manager, therapist):
    client = ClientFactory(primary_therapist=therapist, preferred_name='=HYPERLINK("x")')
    Client.objects.filter(pk=client.pk).update(created_at=NOW - 60 * DAY)  # long unseen
    response = page(as_user, manager, csv="drifting")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][0] == '\'=HYPERLINK("x")'
    for value in ("+1", "-1", "@x", "\tx"):
        from clients.views.dashboard import neutralise

        assert neutralise(value).startswith("'")


def test_bad_filters_are_form_errors_not_500s(as_user, manager, practice_data):
    for params, error in (
        ({"start": "nope"}, "Enter a valid date."),
        ({"start": "2026-12-01", "end": "2026-01-01"}, "The period must start on or before"),
        ({"therapist": "abc"}, "Select a valid choice."),
        ({"end": "0001-01-01"}, "Choose a date between 1900 and 2999."),
        ({"start": "9999-12-31"}, "Choose a date between 1900 and 2999."),
        ({"start": "2020-01-01", "end": "2026-11-27"}, "Choose a period of two years or less."),
    ):
        response = as_user(manager).get(URL, params)
        assert response.status_code == 200
        assert error in response.content.decode()
        assert response.context["period"] == dashboard.Period(
            start=TODAY - datetime.timedelta(days=89), end=TODAY
        )


# Session, user with its practice, its two-factor device, therapists (filter form), then one
# to three per figure (the attendance share one; the reminders three: the first partial hour,
# the hourly sums after it, the answers), and one insert auditing the PHQ-9 list's rows.
DASHBOARD_QUERIES = 19


def _queries(browser) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(URL).status_code == 200
    return len(queries)


@pytest.mark.parametrize("clients", [50, 5_000])
def test_query_count_is_the_same_at_50_and_5000_clients(db, as_user, clients):
    from recovery.models import Role, User
    from seeding.scale import scale_practice_seed

    practice = scale_practice_seed(
        therapists=5,
        clients=clients,
        notes_per_client=1,
        attendance_per_client=1,
        measures_per_client=2,
        now=NOW,
    ).practice
    browser = as_user(User.objects.get(practice=practice, role=Role.MANAGER))
    assert _queries(browser) == DASHBOARD_QUERIES


def test_dashboard_needs_sign_in(client, db):
    assert client.get(URL).status_code == 302


def test_managers_land_on_the_dashboard(as_user, manager, therapist):
    assert as_user(manager).get(reverse("home")).url == URL
    assert as_user(therapist).get(reverse("home")).url == reverse("clients:caseload")


def test_attendance_share_runs_for_26_weeks_ending_today(practice_data):
    from clients.models import Client

    rows = dashboard.attendance_share(Client.objects.all(), today=TODAY)
    assert len(rows) == 26
    assert rows[-1]["week_ending"] == TODAY
    assert rows[-1]["share"] == round(100 * 1 / 3, 1)


def test_theme_counts_follow_a_draft_whose_session_date_moves(therapist, client_record):
    """Theme rows carry their note's day for the dashboard; moving the draft moves them."""
    theme = ResistanceTheme.objects.filter(practice=None).first()
    note = SessionNoteFactory(client=client_record, author=therapist, session_date=TODAY - DAY)
    NoteThemeFactory(note=note, theme=theme, intensity=2)
    clients = Client.objects.filter(pk=client_record.pk)
    october = dashboard.Period(start=datetime.date(2026, 10, 1), end=datetime.date(2026, 10, 31))
    assert dashboard.themes(clients, october)["overall"] == []

    session_note_update(
        actor=therapist,
        note=note,
        expected_version=note.version,
        session_date=datetime.date(2026, 10, 15),
    )

    overall = dashboard.themes(clients, october)["overall"]
    assert [(row["theme__name"], row["times"]) for row in overall] == [(theme.name, 1)]
    september_to_october = dashboard.Period(
        start=datetime.date(2026, 9, 20), end=datetime.date(2026, 10, 31)
    )
    by_month = dashboard.themes(clients, september_to_october)
    assert by_month["months"] == [datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)]
    assert [row["by_month"] for row in by_month["overall"]] == [[0, 1]]
    november = dashboard.Period(start=datetime.date(2026, 11, 1), end=TODAY)
    assert dashboard.themes(clients, november)["overall"] == []


# --- Edges: the practice's day, the caseload's start, the author, the client's answer -------


def test_drifting_and_unsigned_follow_the_practices_day_not_utcs(as_user, manager, therapist):
    """At 20:30 in New York it is already tomorrow in UTC: the figures must not move."""
    seen = ClientFactory(primary_therapist=therapist, preferred_name="Seen21DaysAgo")
    lapsed = ClientFactory(primary_therapist=therapist, preferred_name="Lapse14DaysAgo")
    Client.objects.update(created_at=NOW - 100 * DAY)
    SessionNoteFactory(
        client=seen,
        session_date=TODAY - 21 * DAY,
        status="signed",
        signed_at=NOW - 21 * DAY,
        signed_by=therapist,
    )
    SessionNoteFactory(
        client=lapsed,
        session_date=TODAY - 14 * DAY,
        lapse_reported=True,
        status="signed",
        signed_at=NOW - 14 * DAY,
        signed_by=therapist,
    )
    SessionNoteFactory(client=lapsed, session_date=TODAY - 2 * DAY)  # a draft from Wednesday
    figures = []
    for moment in (NOW, datetime.datetime(2026, 11, 28, 1, 30, tzinfo=datetime.UTC)):
        with time_machine.travel(moment, tick=False):
            context = page(as_user, manager).context
        drifting = {row["client"].preferred_name: row["reasons"] for row in context["drifting"]}
        figures.append((drifting, context["unsigned"]))
    noon, evening = figures
    assert noon == evening
    assert noon == ({"Lapse14DaysAgo": ["lapse flagged"]}, [])


def test_no_session_in_21_days_needs_21_days_on_the_caseload(as_user, manager, therapist):
    new = ClientFactory(primary_therapist=therapist, preferred_name="New")
    old = ClientFactory(primary_therapist=therapist, preferred_name="Old")
    Client.objects.filter(pk=new.pk).update(created_at=NOW - 20 * DAY)
    # Added 21 days ago, on the first day of the quiet window, and never seen since.
    Client.objects.filter(pk=old.pk).update(created_at=NOW - 21 * DAY)
    context = page(as_user, manager).context
    assert {row["client"].preferred_name: row["reasons"] for row in context["drifting"]} == {
        "Old": ["no session in 21 days"]
    }


def test_the_attendance_share_never_counts_a_client_before_they_joined(as_user, manager, therapist):
    """A client added today whose meeting ten days ago was recorded after the fact is in
    neither count for last week, so no week goes over 100%."""
    old = ClientFactory(primary_therapist=therapist, preferred_name="Old")
    new = ClientFactory(primary_therapist=therapist, preferred_name="New")
    Client.objects.filter(pk=old.pk).update(created_at=NOW - 100 * DAY)
    for client in (old, new):
        attended(MeetingPlanFactory(client=client, starts_on=TODAY - 28 * DAY), NOW - 10 * DAY)
    weeks = page(as_user, manager).context["attendance"]
    assert [(w["active"], w["attended"], w["share"]) for w in weeks[-3:]] == [
        (1, 0, 0.0),
        (1, 1, 100.0),
        (2, 2, 100.0),
    ]
    assert all(week["attended"] <= week["active"] for week in weeks)


def test_the_attendance_window_is_the_30_days_up_to_the_weeks_end(as_user, manager, therapist):
    client = ClientFactory(primary_therapist=therapist)
    Client.objects.update(created_at=NOW - 100 * DAY)
    plan = MeetingPlanFactory(client=client, starts_on=TODAY - 60 * DAY)
    # Local midnight 29 days before today starts this week's window: Oct 29, still summer
    # time in New York (it ended Nov 1), so 04:00 UTC.
    first_day = datetime.datetime(2026, 10, 29, 4, 0, tzinfo=datetime.UTC)
    attended(plan, first_day)
    this_week = page(as_user, manager).context["attendance"][-1]
    assert (this_week["active"], this_week["attended"]) == (1, 1)
    plan.attendances.update(occurrence_start=first_day - datetime.timedelta(seconds=1))
    this_week = page(as_user, manager).context["attendance"][-1]
    assert (this_week["active"], this_week["attended"]) == (1, 0)


def test_unsigned_notes_are_the_authors_even_after_the_client_moves(
    as_user, manager, therapist, colleague
):
    client = ClientFactory(primary_therapist=therapist)
    SessionNoteFactory(client=client, author=therapist, session_date=TODAY - 5 * DAY)
    Client.objects.filter(pk=client.pk).update(primary_therapist=colleague)
    mine = [{"author__full_name": "Dana Owner", "notes": 1}]
    assert page(as_user, manager).context["unsigned"] == mine
    assert page(as_user, manager, therapist=therapist.pk).context["unsigned"] == mine
    assert page(as_user, manager, therapist=colleague.pk).context["unsigned"] == []


def test_a_clients_answer_still_counts_once_the_therapist_records_the_meeting(
    as_user, manager, therapist
):
    from clients.services.client_replies import reminder_answer_record
    from clients.services.plans import attendance_record

    client = ClientFactory(primary_therapist=therapist)
    meeting_plan = MeetingPlanFactory(client=client, starts_on=TODAY - 28 * DAY)
    start = next(iter(meeting_plan.occurrences(NOW - 8 * DAY, NOW)))
    reminder = Reminder.objects.create(
        plan=meeting_plan, occurrence_start=start, kind="checkin", due_at=start
    )
    reminder_answer_record(reminder=reminder, status="attended")
    assert page(as_user, manager).context["reminders"]["answered"] == 1
    attendance_record(actor=therapist, plan=meeting_plan, occurrence_start=start, status="attended")
    assert page(as_user, manager).context["reminders"]["answered"] == 1


def test_a_bad_date_keeps_the_therapist_filter_on_the_page_and_in_the_csv(
    as_user, manager, therapist, colleague, practice_data
):
    params = {"therapist": colleague.pk, "start": "2026-13-01"}
    context = page(as_user, manager, **params).context
    assert "Enter a valid date." in str(context["filters"].errors)
    assert {row["client"].preferred_name for row in context["drifting"]} == {"Cy"}
    rows = list(csv.reader(io.StringIO(page(as_user, manager, **params, csv="drifting").text)))
    assert [row[0] for row in rows[1:]] == ["Cy"]


def test_a_bad_therapist_does_not_lift_the_two_year_limit(as_user, manager, practice_data):
    context = page(as_user, manager, therapist="abc", start="2019-01-01").context
    assert "Choose a period of two years or less." in str(context["filters"].errors)
    assert context["period"] == dashboard.Period(start=TODAY - 89 * DAY, end=TODAY)


def test_a_practice_theme_named_like_a_curated_one_is_counted_apart(
    as_user, manager, therapist, practice_data
):
    curated = ResistanceTheme.objects.get(practice=None, slug="fear-of-judgment")
    own = ResistanceTheme.objects.create(
        practice=therapist.practice, slug="own-fear", name=curated.name, description="Ours."
    )
    note = SessionNoteFactory(client=practice_data["ben"], session_date=TODAY - 4 * DAY)
    NoteThemeFactory(note=note, theme=own, intensity=1)
    rows = page(as_user, manager).context["themes"]["overall"]
    assert sorted((r["theme"], r["times"]) for r in rows if r["theme__name"] == curated.name) == (
        sorted([(curated.pk, 2), (own.pk, 1)])
    )
