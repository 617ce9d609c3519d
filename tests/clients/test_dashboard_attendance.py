"""The attendance share, read from the attendance spells the database keeps, against its
definition computed here from the attendance rows themselves, on random data built to sit on
the edges: occurrences at the very bounds of windows, gaps of about 29 days between them,
discharges on window ends, daylight-saving weeks, clients added as a window closes, another
practice's rows, statuses other than attended. On SQLite and on PostgreSQL."""

import datetime
import random
import zoneinfo

import pytest
from django.utils import timezone

from clients.models import Attendance, AttendanceStatus, Client, ClientStatus, ReportedBy
from clients.selectors import dashboard
from tests.factories import (
    ClientFactory,
    MeetingFactory,
    MeetingPlanFactory,
    PracticeFactory,
    UserFactory,
)

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# Days the 26 windows end on: one an ordinary Friday, and the days daylight saving ends and
# starts in New York, so that one window's bounds are 23 or 25 hours apart.
TODAYS = [datetime.date(2026, 11, 27), datetime.date(2026, 11, 1), datetime.date(2027, 3, 14)]


def windows_for(today: datetime.date):
    ends = [today - datetime.timedelta(weeks=index) for index in range(25, -1, -1)]

    def midnight(day):
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=NEW_YORK)

    windows = [
        (midnight(end - datetime.timedelta(days=29)), midnight(end + datetime.timedelta(days=1)))
        for end in ends
    ]
    return ends, windows


def build(rng: random.Random, today: datetime.date) -> tuple[list[Client], list]:
    ends, windows = windows_for(today)
    edges = sorted({bound for window in windows for bound in window})
    practices = [PracticeFactory(), PracticeFactory()]
    therapists = [UserFactory(practice=practices[index % 2]) for index in range(4)]
    meeting = MeetingFactory()
    clients = []
    for index in range(40):
        client = ClientFactory(primary_therapist=therapists[index % 4])
        # Added long before, exactly as a window closes, just after, or any time in between.
        edge = rng.choice(edges)
        added = rng.choice(
            [
                edges[0] - datetime.timedelta(days=40),
                edges[0] - datetime.timedelta(days=40),
                edge,
                edge + datetime.timedelta(microseconds=1),
                edges[0] + (edges[-1] - edges[0]) * rng.random(),
            ]
        )
        Client.objects.filter(pk=client.pk).update(created_at=added)
        if rng.random() < 0.4:
            # Discharged on a window's end, the day after one, or any day in the range.
            discharged = rng.choice(
                [rng.choice(ends), rng.choice(ends) + datetime.timedelta(days=1)]
                + [today - datetime.timedelta(days=rng.randrange(0, 220))]
            )
            Client.objects.filter(pk=client.pk).update(
                status=ClientStatus.DISCHARGED, discharged_on=discharged
            )
        clients.append(client)
        rows, seen = [], set()
        for plan in [MeetingPlanFactory(client=client, meeting=meeting) for _ in range(2)]:
            for _ in range(rng.randrange(0, 12)):
                edge = rng.choice(edges)
                start = rng.choice(
                    [
                        edge,  # exactly on a bound
                        edge - datetime.timedelta(microseconds=1),  # just before one
                        edge + datetime.timedelta(seconds=rng.randrange(0, 86_400 * 7)),
                        edges[0] - datetime.timedelta(days=rng.randrange(1, 20)),  # too early
                    ]
                )
                if (plan.pk, start) in seen:
                    continue
                seen.add((plan.pk, start))
                status = rng.choice([AttendanceStatus.ATTENDED] * 3 + [AttendanceStatus.MISSED])
                rows.append(
                    Attendance(
                        plan=plan,
                        occurrence_start=start,
                        status=status,
                        reported_by=ReportedBy.CLIENT,
                        reported_at=start,
                    )
                )
        Attendance.objects.bulk_create(rows)
    return clients, therapists


def by_definition(clients, ends, windows) -> list[tuple[int, int]]:
    """(active, attended) per window, from the rows: the plain reading of the figure."""
    counts = []
    for end, (start, stop) in zip(ends, windows, strict=True):
        active = [
            client
            for client in clients
            if client.created_at < stop
            and (client.discharged_on is None or client.discharged_on > end)
        ]
        attended = Attendance.objects.filter(
            plan__client__in=active,
            status=AttendanceStatus.ATTENDED,
            occurrence_start__gte=start,
            occurrence_start__lt=stop,
        )
        counts.append((len(active), attended.values("plan__client").distinct().count()))
    return counts


@pytest.mark.parametrize("today", TODAYS)
@pytest.mark.parametrize("seed", range(3))
def test_the_spells_give_the_share_its_definition_gives(db, today, seed):
    rng = random.Random(seed)
    _clients, therapists = build(rng, today)
    ends, windows = windows_for(today)
    practice = therapists[0].practice
    scopes = [
        dashboard.Scope(Client.objects.filter(practice=practice), practice_id=practice.pk),
        Client.objects.filter(practice=practice),
        Client.objects.filter(primary_therapist=therapists[1]),
        Client.objects.all(),
        Client.objects.none(),
    ]
    shares = []
    with timezone.override(NEW_YORK):
        for scope in scopes:
            clients = scope.clients if isinstance(scope, dashboard.Scope) else scope
            rows = dashboard.attendance_share(scope, today=today)
            assert [row["week_ending"] for row in rows] == ends
            got = [(row["active"], row["attended"]) for row in rows]
            assert got == by_definition(list(clients), ends, windows)
            shares.append(got)
    whole_practice, _same, _caseload, everyone, nobody = shares
    assert len({attended for _active, attended in everyone}) > 3, "the data exercised too little"
    assert nobody == [(0, 0)] * 26


def test_a_gap_of_29_days_is_two_spells_yet_a_window_counts_the_client_once(db):
    """Meetings 29 days apart make two spells; a window holding both counts the client once,
    and one falling between them (a 30-day window cannot) would count them not at all."""
    today = datetime.date(2026, 11, 27)
    ends, windows = windows_for(today)
    client = ClientFactory()
    Client.objects.filter(pk=client.pk).update(
        created_at=windows[0][0] - datetime.timedelta(days=9)
    )
    client.refresh_from_db()
    plan = MeetingPlanFactory(client=client)
    first = windows[-1][0] + datetime.timedelta(hours=1)
    for at in (first, first + datetime.timedelta(days=29)):
        Attendance.objects.create(
            plan=plan,
            occurrence_start=at,
            status=AttendanceStatus.ATTENDED,
            reported_by=ReportedBy.CLIENT,
            reported_at=at,
        )
    with timezone.override(NEW_YORK):
        rows = dashboard.attendance_share(Client.objects.all(), today=today)
    assert [row["attended"] for row in rows] == [
        attended for _active, attended in by_definition([client], ends, windows)
    ]
    # Both meetings in the last window, each alone in some before it.
    assert [row["attended"] for row in rows][-6:] == [0, 1, 1, 1, 1, 1]
