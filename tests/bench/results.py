"""Shared by the benchmarks: where they stand and how they write RESULTS.md.

Each benchmark owns one section of RESULTS.md, between its own markers, and replaces only
that section, so the file keeps every benchmark's latest figures.
"""

import datetime
import os
import platform
import sqlite3
import statistics
from pathlib import Path

import django
from django.db import connection

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = "# Benchmark results\n\nWritten by `make bench`; each benchmark replaces its section.\n"


def database_name() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    if connection.vendor == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    return connection.vendor


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of the samples."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def write_section(key: str, title: str, target: str, table: list[str]) -> str:
    """Replace this benchmark's section of RESULTS.md; return the section's text."""
    start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    now = datetime.datetime.now(datetime.UTC)
    section = "\n".join(
        [
            start,
            f"## {title}",
            "",
            f"- date: {now:%Y-%m-%d %H:%M} UTC",
            f"- machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs",
            f"- Python {platform.python_version()}, Django {django.get_version()}",
            f"- database: {database_name()}",
            f"- target: {target}",
            "",
            *table,
            end,
        ]
    )
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    if start in text and end in text:
        before, _, rest = text.partition(start)
        _, _, after = rest.partition(end)
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text)
    return section
