"""Import benchmark: a generated 10,000-record Meeting Guide feed, timed end to end.

Run by `make bench` (not by `make test`); on PostgreSQL when DATABASE_URL is set. It writes
its figures into RESULTS.md, between its own markers so other benchmarks can share the file.
Target: the first import runs at 2,000 records/s or more.
"""

import json
import random
import time

import pytest

from groups.importers import feed_import
from groups.models import Feed, FeedFormat, Meeting, Program
from tests.bench.results import write_section

RECORDS = 10_000
TARGET_PER_SECOND = 2_000

TYPES = ["O", "C", "D", "SP", "BE", "ST", "B", "W", "M", "LGBTQ", "X", "TC", "ONL", "EN", "S"]
TOWNS = [
    ("San Jose", "CA", "951"),
    ("Oakland", "CA", "946"),
    ("Portland", "ME", "041"),
    ("Dover", "DE", "199"),
    ("Chicago", "IL", "606"),
]
ZONES = ["America/Los_Angeles", "America/New_York", "America/Chicago", ""]


def generated_feed(count: int, seed: int = 12) -> list[dict]:
    """Records shaped like real intergroup feeds: split or formatted addresses, string and
    numeric coordinates, conference links on some, a few multi-day records avoided so the
    record count is the meeting count."""
    rng = random.Random(seed)
    records = []
    for n in range(count):
        town, state, zip_prefix = rng.choice(TOWNS)
        online = rng.random() < 0.4
        record = {
            "name": f"{rng.choice(['Serenity', 'Hope', 'Freedom', 'New Day', 'Steps'])} Group {n}",
            "slug": f"meeting-{n}",
            "day": rng.randrange(7),
            "time": f"{rng.randrange(6, 23):02d}:{rng.choice(['00', '15', '30', '45'])}",
            "types": rng.sample(TYPES, rng.randrange(1, 6)),
            "location": f"{rng.choice(['St. Mark', 'Alano Club', 'Community Hall'])} {n % 300}",
            "notes": "Ring the bell. " * rng.randrange(0, 4),
            "updated": f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d} 12:00:00",
            "region": town,
            "sub_region": f"District {n % 12}",
        }
        if rng.random() < 0.7:
            record["end_time"] = f"{rng.randrange(7, 24) % 24:02d}:00"
        if zone := rng.choice(ZONES):
            record["timezone"] = zone
        if rng.random() < 0.5:
            record["formatted_address"] = (
                f"{rng.randrange(1, 9999)} Main St, {town}, {state} {zip_prefix}{n % 100:02d}, USA"
            )
        else:
            record |= {"address": f"{rng.randrange(1, 9999)} Oak Ave", "city": town, "state": state}
        if rng.random() < 0.8:
            lat, lng = 37 + rng.random(), -122 + rng.random()
            record["latitude"], record["longitude"] = (
                (f"{lat:.6f}", f"{lng:.6f}") if rng.random() < 0.3 else (lat, lng)
            )
        if online:
            record["conference_url"] = f"https://zoom.us/j/{8_100_000_000 + n}"
            record["conference_url_notes"] = "Password: [removed]"
            if rng.random() < 0.5:
                record["conference_phone"] = f"+15555550100,,{8_100_000_000 + n}#"
        records.append(record)
    return records


def timed(feed: Feed, source: str) -> tuple[float, dict]:
    started = time.perf_counter()
    report = feed_import(feed=feed, records_or_source=source)
    return time.perf_counter() - started, report.as_dict()


@pytest.mark.django_db(transaction=True)  # the import's own transaction really commits
def test_import_a_generated_meeting_guide_feed(tmp_path):
    Program.objects.get_or_create(key="AA", defaults={"name": "AA", "is_twelve_step": True})
    records = generated_feed(RECORDS)
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(records))
    feed = Feed.objects.create(
        name="Bench", format=FeedFormat.MEETING_GUIDE, source=str(path), default_time_zone="UTC"
    )

    rows = []
    seconds, report = timed(feed, str(path))
    assert report["created"] == RECORDS, report["rejected"][:5]
    rows.append(("first import: every record created", RECORDS, seconds))

    seconds, report = timed(feed, str(path))
    assert report["unchanged"] == RECORDS
    rows.append(("same file again: nothing changed", RECORDS, seconds))

    rng = random.Random(7)
    changed = records[: int(RECORDS * 0.95)]  # the last 5% vanish from the feed
    for record in rng.sample(changed, RECORDS // 10):
        record["time"] = "06:05"
    path.write_text(json.dumps(changed))
    # Closed rooms with no link ("TC") were imported inactive: only the others can go inactive.
    active = Meeting.objects.filter(feed=feed, is_active=True)
    vanishing = active.filter(source_key__in=[r["slug"] for r in records[len(changed) :]])
    expected_deactivated = vanishing.count()
    seconds, report = timed(feed, str(path))
    assert report["deactivated"] == expected_deactivated
    rows.append(("10% changed, 5% gone", len(changed), seconds))

    write_results(rows)
    first_rate = rows[0][1] / rows[0][2]
    assert first_rate >= TARGET_PER_SECOND, f"{first_rate:.0f} records/s"


def write_results(rows: list[tuple[str, int, float]]) -> None:
    section = write_section(
        "bench_import",
        "Importing a Meeting Guide feed (`tests/bench/bench_import.py`)",
        f"the first import at {TARGET_PER_SECOND:,} records/s or more",
        [
            "| scenario | records | seconds | records/s |",
            "|---|---:|---:|---:|",
            *(
                f"| {name} | {count:,} | {secs:.2f} | {count / secs:,.0f} |"
                for name, count, secs in rows
            ),
        ],
    )
    print("\n" + section)
