"""Outcome measures as the client page and the caseload show them."""

from collections import defaultdict

from django.db.models import F, OuterRef, Subquery

from clients.models import (
    Client,
    OutcomeMeasure,
)
from clients.outcomes import INSTRUMENTS


def latest_phq9_flag() -> Subquery:
    """Whether the client's latest PHQ-9 raised the safety flag (item 9 above 0), for
    annotating clients: a later PHQ-9 without it clears the flag from the caseload."""
    latest = OutcomeMeasure.objects.filter(
        client=OuterRef("pk"), instrument="phq9", is_latest=True
    ).values("safety_flag")
    return Subquery(latest[:1])


def outcome_charts(client: Client) -> list[dict]:
    """One chart per instrument the client has taken, in the registry's order, oldest first:
    the figures the code computed (never the answers), each series' change since the first
    measure, and what the chart shades or marks. One query."""
    rows = defaultdict(list)
    for row in (
        OutcomeMeasure.objects.filter(client=client)
        .order_by("administered_on", "id")
        .values("id", "instrument", "administered_on", "total", "subscales", "band", "source")
        .annotate(flag=F("safety_flag"))
    ):
        rows[row["instrument"]].append(row)
    charts = []
    for key, spec in INSTRUMENTS.items():
        measures = rows.get(key)
        if not measures:
            continue
        series = []
        for line in spec.series:
            values = [
                measure["total"] if line.key == "total" else measure["subscales"].get(line.key)
                for measure in measures
            ]
            change = values[-1] - values[0] if len(values) > 1 and None not in values else None
            series.append(
                {
                    "key": line.key,
                    "label": line.label,
                    "values": values,
                    "change": change,
                    "better": None if not change else (change > 0) == line.higher_is_better,
                }
            )
        charts.append(
            {
                "key": key,
                "name": spec.name,
                "short_name": spec.short_name,
                "series": series,
                "measures": measures,
                "rows": [
                    {**measure, "values": [line["values"][index] for line in series]}
                    for index, measure in enumerate(measures)
                ],
                "json_id": f"outcome-data-{key}",
                # What theme-chart's sibling, outcome-charts.js, draws (embedded as JSON).
                "data": {
                    "labels": [measure["administered_on"].isoformat() for measure in measures],
                    "series": [
                        {"label": line["label"], "values": line["values"]} for line in series
                    ],
                    "min": min(line.low for line in spec.series),
                    "max": max(line.high for line in spec.series),
                    "bands": [{"low": b.low, "high": b.high, "label": b.label} for b in spec.bands],
                    "reference": {"value": spec.reference_line, "label": spec.reference_label}
                    if spec.reference_line is not None
                    else None,
                },
            }
        )
    return charts


def latest_safety_flag(charts: list[dict]) -> dict | None:
    """The latest PHQ-9, from outcome_charts(), if it raised the safety flag."""
    for chart in charts:
        if chart["key"] == "phq9" and chart["measures"][-1]["flag"]:
            return chart["measures"][-1]
    return None
