"""The dashboard's outcome figures: who was measured lately, the median BARC-10 change per
therapist, and whose latest PHQ-9 needs attention; hand-computed on a small practice."""

import csv
import datetime
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import Client, MeasureSource, OutcomeMeasure
from clients.selectors.dashboard import outcomes as dashboard_outcomes
from clients.services.outcomes import outcome_measure_store
from recovery.models import AuditAction, AuditEvent
from tests.factories import ClientFactory, UserFactory

# Friday Nov 27 2026, noon in New York.
NOW = datetime.datetime(2026, 11, 27, 17, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 27)
DAY = datetime.timedelta(days=1)
URL = reverse("clients:dashboard")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def barc10(total: int) -> dict:
    """BARC-10 answers (1-6 each) adding up to `total`."""
    base, extra = divmod(total, 10)
    return {str(n): base + (1 if n <= extra else 0) for n in range(1, 11)}


def phq9(total: int, *, item9: int = 0) -> dict:
    """PHQ-9 answers (0-3 each) adding up to `total`, item 9 as given."""
    left = total - item9
    answers = {}
    for n in range(1, 9):
        answers[str(n)] = min(3, left)
        left -= answers[str(n)]
    assert left == 0
    return {**answers, "9": item9}


def measure(client, instrument: str, responses: dict, days_ago: int):
    return outcome_measure_store(
        client=client,
        instrument=instrument,
        responses=responses,
        administered_on=TODAY - days_ago * DAY,
        source=MeasureSource.THERAPIST,
        entered_by=client.primary_therapist,
    )


@pytest.fixture
def measured(therapist, colleague):
    """Five clients with known measures; therapist has Ana, Ben and Cal, colleague Dee and Eve."""
    ana = ClientFactory(primary_therapist=therapist, preferred_name="Ana")
    ben = ClientFactory(primary_therapist=therapist, preferred_name="Ben")
    cal = ClientFactory(primary_therapist=therapist, preferred_name="Cal")
    dee = ClientFactory(primary_therapist=colleague, preferred_name="Dee")
    eve = ClientFactory(
        primary_therapist=colleague,
        preferred_name="Eve",
        status="discharged",
        discharged_on=TODAY - 5 * DAY,
    )
    # Ana: BARC-10 30 -> 40 (+10); latest PHQ-9 moderately severe (17). Measured 10 days ago.
    measure(ana, "barc10", barc10(30), 200)
    measure(ana, "barc10", barc10(40), 10)
    measure(ana, "phq9", phq9(17), 10)
    # Ben: BARC-10 50 -> 44 -> 46 (-4); severe PHQ-9 then a mild one. Last measured 95 days ago.
    measure(ben, "barc10", barc10(50), 300)
    measure(ben, "barc10", barc10(44), 200)
    measure(ben, "phq9", phq9(22), 150)
    measure(ben, "barc10", barc10(46), 95)
    measure(ben, "phq9", phq9(7), 95)
    # Cal: nothing measured.
    # Dee: one BARC-10 only (no change); a mild PHQ-9 with item 9 answered: flagged. Exactly
    # 89 days ago, the first day of the 90 (today is the 90th).
    measure(dee, "barc10", barc10(35), 89)
    measure(dee, "phq9", phq9(6, item9=1), 89)
    # Eve, discharged: BARC-10 20 -> 32 on the same day, told apart by the later entry; a
    # severe PHQ-9 last week. Counted in the change over treatment, not in the other two.
    measure(eve, "barc10", barc10(20), 30)
    measure(eve, "barc10", barc10(32), 30)
    measure(eve, "phq9", phq9(24), 7)
    return {"ana": ana, "ben": ben, "cal": cal, "dee": dee, "eve": eve}


def everyone():
    return Client.objects.all()


def test_the_share_measured_counts_active_clients_with_any_measure_in_the_last_90_days(measured):
    figures = dashboard_outcomes.measured_recently(everyone(), today=TODAY)

    # Ana and Dee of Ana, Ben, Cal and Dee; Eve is discharged; Ben's are 95 days old.
    assert figures == {"since": TODAY - 89 * DAY, "active": 4, "measured": 2, "share": 50.0}


def test_a_measure_90_days_old_is_outside_the_90_days(measured):
    OutcomeMeasure.objects.filter(client=measured["dee"]).update(administered_on=TODAY - 90 * DAY)
    assert dashboard_outcomes.measured_recently(everyone(), today=TODAY)["measured"] == 1


def test_no_active_clients_is_a_share_of_zero_not_an_error(db):
    assert dashboard_outcomes.measured_recently(everyone(), today=TODAY)["share"] == 0.0


def test_the_median_barc10_change_per_therapist_uses_each_clients_first_and_latest(
    measured, therapist, colleague
):
    rows = dashboard_outcomes.barc10_change(everyone())

    # Therapist: Ana +10, Ben -4 (50 first, 46 latest; the 44 between does not count): median
    # 3. Colleague: Dee has one BARC-10 and is left out; Eve +12 (same day, later entry last).
    assert {row["therapist"]: (row["clients"], row["median"]) for row in rows} == {
        therapist.full_name: (2, 3),
        colleague.full_name: (1, 12),
    }
    assert [row["therapist"] for row in rows] == sorted(row["therapist"] for row in rows)


def test_the_median_of_an_odd_count_is_the_middle_change(therapist):
    for first, latest in ((30, 31), (30, 45), (40, 30)):  # +1, +15, -10
        client = ClientFactory(primary_therapist=therapist)
        measure(client, "barc10", barc10(first), 60)
        measure(client, "barc10", barc10(latest), 1)
    [row] = dashboard_outcomes.barc10_change(everyone())
    assert (row["clients"], row["median"]) == (3, 1)


def test_phq9_concerns_are_active_clients_whose_latest_is_moderately_severe_severe_or_flagged(
    measured, therapist, colleague
):
    found, rows = dashboard_outcomes.phq9_concerns(everyone())

    # Dee (flagged, mild) first, then Ana (17). Ben's severe one was followed by a mild one;
    # Eve is discharged.
    assert found == 2
    assert [
        (row["client_name"], row["therapist"], row["total"], row["band"], row["safety_flag"])
        for row in rows
    ] == [
        ("Dee", colleague.full_name, 6, "Mild", True),
        ("Ana", therapist.full_name, 17, "Moderately severe", False),
    ]
    assert rows[1]["administered_on"] == TODAY - 10 * DAY


def test_phq9_concerns_with_a_limit_still_say_how_many_in_all(measured):
    found, rows = dashboard_outcomes.phq9_concerns(everyone(), limit=1)
    assert (found, [row["client_name"] for row in rows]) == (2, ["Dee"])


def test_the_figures_follow_the_clients_they_are_given(measured, therapist):
    mine = Client.objects.filter(primary_therapist=therapist)

    figures = dashboard_outcomes.outcome_figures(mine, today=TODAY)

    assert (figures["measured"]["active"], figures["measured"]["measured"]) == (3, 1)
    assert [row["therapist"] for row in figures["barc10"]] == [therapist.full_name]
    assert [row["client_name"] for row in figures["phq9"]] == ["Ana"]


# --- The page and its CSV files ------------------------------------------------------------


def section(body: str) -> str:
    return body[body.index('id="outcomes-heading"') :]


def test_the_manager_sees_the_three_figures(as_user, manager, measured, therapist):
    body = section(as_user(manager).get(URL).content.decode())

    assert "2 of 4 active clients (50.0%)" in body
    assert therapist.full_name in body and "+3" in body
    rows = body[body.index('id="table-phq9"') :]
    assert rows.index("Dee") < rows.index("Ana")
    assert "Safety flag" in rows and "Moderately severe" in rows
    assert reverse("clients:detail", args=[measured["ana"].pk]) in rows
    assert "Ben" not in rows and "Eve" not in rows


def test_a_therapist_sees_their_own_caseload_only(as_user, therapist, colleague, measured):
    body = section(as_user(therapist).get(URL).content.decode())

    assert "1 of 3 active clients" in body
    assert "Dee" not in body and colleague.full_name not in body


def test_the_therapist_filter_narrows_the_outcome_figures(as_user, manager, colleague, measured):
    body = section(as_user(manager).get(URL, {"therapist": colleague.pk}).content.decode())

    assert "1 of 1 active client (100.0%)" in body
    rows = body[body.index('id="table-phq9"') :]
    assert "Dee" in rows and "Ana" not in rows


def test_another_practices_measures_count_nowhere(as_user, manager, measured, outsider):
    stranger = ClientFactory(
        practice=outsider.practice,
        primary_therapist=UserFactory(practice=outsider.practice),
        preferred_name="Stranger",
    )
    measure(stranger, "phq9", phq9(27, item9=3), 1)

    body = section(as_user(manager).get(URL).content.decode())

    assert "Stranger" not in body and "2 of 4 active clients" in body


def test_each_outcome_table_downloads_as_csv(as_user, manager, measured, therapist, colleague):
    browser = as_user(manager)

    def rows(table):
        response = browser.get(URL, {"csv": table})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        return list(csv.reader(io.StringIO(response.content.decode())))

    assert rows("measured") == [
        ["active clients", "measured in the last 90 days", "share %", "since"],
        ["4", "2", "50.0", str(TODAY - 89 * DAY)],
    ]
    assert sorted(rows("barc10")[1:]) == sorted(
        [[therapist.full_name, "2", "3"], [colleague.full_name, "1", "12"]]
    )
    assert rows("barc10")[0] == ["therapist", "clients with two or more", "median change"]
    phq9_rows = rows("phq9")
    assert phq9_rows[0] == ["client", "therapist", "date", "total", "band", "safety flag"]
    assert phq9_rows[1:] == [
        ["Dee", colleague.full_name, str(TODAY - 89 * DAY), "6", "Mild", "yes"],
        ["Ana", therapist.full_name, str(TODAY - 10 * DAY), "17", "Moderately severe", "no"],
    ]


def test_the_phq9_list_on_the_page_stops_at_50_and_the_csv_has_everyone(
    as_user, manager, therapist
):
    for n in range(53):
        client = ClientFactory(primary_therapist=therapist, preferred_name=f"Client {n:02}")
        measure(client, "phq9", phq9(20), 3)

    body = section(as_user(manager).get(URL).content.decode())
    rows = body[
        body.index('id="table-phq9"') : body.index("</table>", body.index('id="table-phq9"'))
    ]
    assert rows.count("<tr>") == 1 + 50  # the heading row and 50 clients
    assert "The 50 highest; the CSV lists all 53." in body
    assert len(list(csv.reader(io.StringIO(as_user(manager).get(URL, {"csv": "phq9"}).text)))) == 54


def test_the_phq9_list_is_a_read_of_each_listed_clients_record(as_user, manager, measured):
    as_user(manager).get(URL)

    viewed = AuditEvent.objects.filter(action=AuditAction.VIEW, actor=manager)
    assert sorted(viewed.values_list("client__preferred_name", flat=True)) == ["Ana", "Dee"]
    assert set(viewed.values_list("object_type", flat=True)) == {"clients.outcomemeasure"}


def test_the_dashboard_never_reads_the_encrypted_answers(as_user, manager, measured):
    with CaptureQueriesContext(connection) as queries:
        as_user(manager).get(URL)
    measure_queries = [q["sql"] for q in queries if "clients_outcomemeasure" in q["sql"]]
    assert len(measure_queries) == 3
    assert not any('"responses"' in sql or ".responses" in sql for sql in measure_queries)


# --- The ends of each series, kept by the writes -------------------------------------------


def ends(client, instrument: str) -> list[tuple[int, bool, bool]]:
    return list(
        OutcomeMeasure.objects.filter(client=client, instrument=instrument)
        .order_by("administered_on", "id")
        .values_list("total", "is_first", "is_latest")
    )


def test_each_save_flags_the_first_and_latest_of_the_series(therapist):
    client = ClientFactory(primary_therapist=therapist)
    only = measure(client, "barc10", barc10(30), 20)
    assert (only.is_first, only.is_latest) == (True, True)

    measure(client, "barc10", barc10(40), 10)
    backdated = measure(client, "barc10", barc10(20), 60)  # entered late: the new first
    same_day = measure(client, "barc10", barc10(45), 10)  # ties the latest day, entered later

    assert (backdated.is_first, backdated.is_latest) == (True, False)
    assert (same_day.is_first, same_day.is_latest) == (False, True)
    assert ends(client, "barc10") == [
        (20, True, False),
        (30, False, False),
        (40, False, False),
        (45, False, True),
    ]
    measure(client, "phq9", phq9(5), 30)  # another instrument is another series
    assert ends(client, "barc10")[-1] == (45, False, True)
    assert ends(client, "phq9") == [(5, True, True)]


def recomputed(measures) -> set[tuple[int, bool, bool]]:
    series: dict = {}
    for m in sorted(measures, key=lambda m: (m.administered_on, m.pk)):
        series.setdefault((m.client_id, m.instrument), []).append(m.pk)
    firsts = {ids[0] for ids in series.values()}
    latests = {ids[-1] for ids in series.values()}
    return {(m.pk, m.pk in firsts, m.pk in latests) for m in measures}


def test_the_seeders_bulk_inserts_flag_the_same_ends_as_save_would(db, development):
    from django.core.management import call_command

    from seeding.scale import scale_practice_seed

    call_command("seed_demo", stdout=io.StringIO())
    scale_practice_seed(
        therapists=2, clients=30, notes_per_client=2, attendance_per_client=2, now=NOW
    )
    measures = list(OutcomeMeasure.objects.all())

    assert len(measures) > 300
    assert {(m.pk, m.is_first, m.is_latest) for m in measures} == recomputed(measures)


def test_the_migration_flags_the_ends_of_measures_already_stored(measured):
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    OutcomeMeasure.objects.update(is_first=False, is_latest=False)
    migration = MigrationLoader(connection).get_migration("clients", "0014_outcome_series_ends")
    backfill = next(op for op in migration.operations if hasattr(op, "code")).code

    backfill(apps, None)

    measures = list(OutcomeMeasure.objects.all())
    assert {(m.pk, m.is_first, m.is_latest) for m in measures} == recomputed(measures)
    assert sum(m.is_latest for m in measures) == 8  # four clients measured, two series each


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_measures_saved_at_once_leave_one_latest(therapist):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    if connection.vendor != "postgresql":
        pytest.skip("races need PostgreSQL's row locks; SQLite serialises every writer")
    client = ClientFactory(primary_therapist=therapist)
    measure(client, "barc10", barc10(30), 20)
    barrier = threading.Barrier(2)

    def save(total):
        try:
            barrier.wait(timeout=10)
            return measure(client, "barc10", barc10(total), 5).pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        ids = [future.result(timeout=60) for future in [pool.submit(save, t) for t in (40, 50)]]

    latest = OutcomeMeasure.objects.get(client=client, is_latest=True)
    assert latest.pk == max(ids)
    assert OutcomeMeasure.objects.filter(client=client, is_first=True).count() == 1
