"""The dashboard's outcome-measure figures: who was measured lately, how recovery capital moved
on each therapist's caseload, and whose latest PHQ-9 needs attention.

Figures only: these read the scores stored beside each measure (total, band, safety flag) and
never select the encrypted answers. One query per figure, whatever the number of clients or
measures: "first" and "latest" per client are the rows OutcomeMeasure.save() flags as the
ends of each series (a partial index holds just those), so no query ranks every measure, none
runs per client, and no client's whole series is loaded into Python.

Filters: the therapist filter and the practice scope apply through `clients`, as for every
other figure. The page's date range does not: like the attendance share and the drifting list,
these run up to the practice's today (`today` is the view's `timezone.localdate()`, in the
practice's zone), each over the span its heading names.
"""

import datetime
from collections import defaultdict

from django.db import connection
from django.db.models import Aggregate, Count, F, FilteredRelation, FloatField, Q, QuerySet, Window

from clients.models import Client, ClientStatus, Instrument, OutcomeMeasure
from clients.outcomes import PHQ9
from clients.selectors.dashboard.scope import Scope, as_scope

RECENT_DAYS = 90
# PHQ-9 totals of 15 and more: "moderately severe" and "severe" (Kroenke et al. 2001). Taken
# from the instrument's own bands, so the dashboard and the scoring cannot disagree.
PHQ9_CONCERN_BANDS = tuple(band.label for band in PHQ9.bands if band.low >= 15)


def outcome_figures(
    clients: QuerySet[Client], *, today: datetime.date, phq9_limit: int | None = None
) -> dict:
    """Everything the dashboard's "Outcome measures" card shows, in three queries."""
    phq9_total, phq9 = phq9_concerns(clients, limit=phq9_limit)
    return {
        "measured": measured_recently(clients, today=today),
        "barc10": barc10_change(clients),
        "phq9": phq9,
        "phq9_total": phq9_total,
        "recent_days": RECENT_DAYS,
    }


def measured_recently(clients: QuerySet[Client], *, today: datetime.date) -> dict:
    """Active clients with a measure of any instrument in the last 90 days, today included,
    and their share of all active clients. One query."""
    since = today - datetime.timedelta(days=RECENT_DAYS - 1)
    # A client measured since then has a latest measure of some instrument since then: only
    # the flagged series ends are read. No upper bound: the service accepts a date up to a
    # day ahead (a client in a zone ahead of the practice's), as recent as one from today.
    recent = OutcomeMeasure.objects.filter(is_latest=True, administered_on__gte=since)
    counts = clients.filter(status=ClientStatus.ACTIVE).aggregate(
        active=Count("id"), measured=Count("id", filter=Q(pk__in=recent.values("client_id")))
    )
    active, measured = counts["active"], counts["measured"]
    return {
        "since": since,
        "active": active,
        "measured": measured,
        "share": round(100 * measured / active, 1) if active else 0.0,
    }


def barc10_change(clients: QuerySet[Client]) -> list[dict]:
    """Per therapist, the median change in BARC-10 total from each client's first measure to
    their latest (by day, then id), over the clients with two or more; `clients` is how many.

    Choices: a client counts under their primary therapist now, whoever measured them; and
    discharged clients count too, since the change over a finished treatment is the outcome
    a practice most wants to see (the other two figures are about active clients, as their
    headings say). Clients with a single BARC-10 have no change and are left out. The whole
    history counts, not the page's date range: first to latest is the change over treatment.

    One query over the flagged ends of each series (`is_first`, `is_latest`, kept by
    OutcomeMeasure.save()), each client's first and latest joined side by side: on
    PostgreSQL the medians come out of it, one row per therapist; SQLite, which has no
    median, counts each therapist's changes and the medians are taken here from the counts.
    """
    barc10 = Q(outcomes__instrument=Instrument.BARC10)
    pairs = (
        clients.annotate(
            first=FilteredRelation("outcomes", condition=barc10 & Q(outcomes__is_first=True)),
            # A client's only measure is both first and latest: no change, no row.
            latest=FilteredRelation(
                "outcomes",
                condition=barc10 & Q(outcomes__is_latest=True, outcomes__is_first=False),
            ),
        )
        .filter(first__id__isnull=False, latest__id__isnull=False)
        .order_by()
    )
    change = F("latest__total") - F("first__total")
    therapist = ("primary_therapist_id", "primary_therapist__full_name")
    if connection.vendor == "postgresql":
        rows = pairs.values_list(*therapist).annotate(clients=Count("id"), median=_Median(change))
        medians = {(name, pk): (number, median) for pk, name, number, median in rows}
    else:
        counts: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
        for pk, name, value, number in pairs.values_list(*therapist, change).annotate(
            clients=Count("id")
        ):
            counts[(name, pk)].append((value, number))
        medians = {
            key: (sum(number for _value, number in values), _median(values))
            for key, values in counts.items()
        }
    return [
        {"therapist": name, "clients": number, "median": _points(median)}
        for (name, _therapist_id), (number, median) in sorted(medians.items())
    ]


class _Median(Aggregate):
    """PostgreSQL's median: the middle value, or the mean of the two in the middle."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _median(counts: list[tuple[int, int]]) -> float:
    """The median of values given as (value, how many times), as statistics.median gives it."""
    ordered = sorted(counts)
    total = sum(number for _value, number in ordered)

    def at(position: int) -> int:
        for value, number in ordered:
            if position < number:
                return value
            position -= number
        raise IndexError(position)

    if total % 2:
        return at(total // 2)
    return (at(total // 2 - 1) + at(total // 2)) / 2


def _points(value: float) -> int | float:
    """A median of whole points: 3, not 3.0; the middle of two, to the half point (2.5)."""
    return int(value) if float(value).is_integer() else value


def phq9_concerns(
    clients: "QuerySet[Client] | Scope", *, limit: int | None = None
) -> tuple[int, list[dict]]:
    """Active clients whose latest PHQ-9 is moderately severe or severe, or carries the safety
    flag (item 9 above 0), with their primary therapist: flagged first, then the highest
    totals. Only the latest PHQ-9 decides (by day, then id: of two on one day, the one
    entered later): a severe one followed by a mild one is not listed.
    Returns (how many in all, the first `limit` of them). One query.
    """
    measures = OutcomeMeasure.objects.filter(
        client__status=ClientStatus.ACTIVE, instrument=Instrument.PHQ9, is_latest=True
    )
    rows = (
        as_scope(clients)
        .rows(measures)
        .filter(Q(band__in=PHQ9_CONCERN_BANDS) | Q(safety_flag=True))
        .annotate(found=Window(Count("id")))  # how many in all, on every row of the page
        .order_by(
            F("safety_flag").desc(),
            F("total").desc(nulls_last=True),
            "client__preferred_name",
            "client_id",
        )
        .values(
            "id",
            "client_id",
            "total",
            "band",
            "safety_flag",
            "administered_on",
            "found",
            client_name=F("client__preferred_name"),
            therapist=F("client__primary_therapist__full_name"),
        )
    )
    page = list(rows[:limit] if limit else rows)
    found = page[0].pop("found") if page else 0
    for row in page:
        row.pop("found", None)
    return found, page
