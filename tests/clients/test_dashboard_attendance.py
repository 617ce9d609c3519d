"""The attendance share's PostgreSQL path (bitmasks over the window bounds) against the
portable one (a conditional distinct count per window), on random data built to sit on the
edges: occurrences at the very bounds of windows, discharges on window ends, daylight-saving
weeks, clients added as a window closes, another practice's rows, statuses other than
attended."""

import datetime
import random
import zoneinfo

import pytest
from django.db import connection
from django.utils import timezone

from clients import dashboard
from clients.models import Attendance, AttendanceStatus, Client, ClientStatus, ReportedBy
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


@pytest.mark.parametrize("today", TODAYS)
@pytest.mark.parametrize("seed", range(3))
def test_the_postgresql_path_agrees_with_the_portable_one(db, today, seed):
    if connection.vendor != "postgresql":
        pytest.skip("the bitmask path is PostgreSQL's; set DATABASE_URL=postgres://...")
    rng = random.Random(seed)
    _clients, therapists = build(rng, today)
    ends, windows = windows_for(today)
    querysets = [
        Client.objects.all(),
        Client.objects.filter(practice=therapists[0].practice),
        Client.objects.filter(primary_therapist=therapists[1]),
        Client.objects.none(),
    ]
    counts = []
    with timezone.override(NEW_YORK):
        for clients in querysets:
            portable = dashboard._attended_by_window(clients, ends, windows)
            fast = dashboard._attended_by_window_postgresql(clients, ends, windows)
            assert fast == portable
            counts.append(portable)
    everyone, _practice, _caseload, nobody = counts
    assert len(set(everyone)) > 3, "the data exercised too little"
    assert nobody == [0] * 26
