"""Writing an import's rows: inserts, updates and deactivations of a feed's meetings.

Why not just bulk_create and bulk_update: measured on PostgreSQL with 10,000 meetings,
bulk_create took 2-4 s, most of it preparing and quoting 290,000 parameters in Python, where
COPY took under a second; and bulk_update builds a CASE WHEN per field per row in Python
(5-10 ms a row: 1,000 changed meetings took 10-23 s), where one UPDATE statement run with
executemany takes a fraction of a second. JSON, time and datetime values still go through
their field's get_db_prep_save, so what is stored is what the ORM would store. SQLite, the
zero-setup database, has no COPY and keeps bulk_create.
"""

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection

from groups.models import Feed, Meeting

INSERT_BATCH_SIZE = 1000
DEACTIVATE_BATCH_SIZE = 500  # SQLite allows 999 parameters per statement


def _fields(names: Sequence[str]) -> list:
    return [Meeting._meta.get_field(name) for name in names]


# Strings, numbers, booleans and keys go to the driver as they are; JSON, times and datetimes
# need the backend's adaptation (Jsonb on PostgreSQL, "HH:MM:SS" text on SQLite, ...).
_ADAPTED_TYPES = {"JSONField", "TimeField", "DateTimeField"}


def _preparer(fields: list) -> Callable[[Sequence[Any]], list[Any]]:
    """A function preparing one row's values for `fields`, decided once per statement:
    asking each field its type for each of 10,000 rows costs more than the COPY itself."""
    adapted = [
        (index, field)
        for index, field in enumerate(fields)
        if field.get_internal_type() in _ADAPTED_TYPES
    ]

    def prepare(values: Sequence[Any]) -> list[Any]:
        row = list(values)
        for index, field in adapted:
            row[index] = field.get_db_prep_save(row[index], connection)
        return row

    return prepare


def meetings_insert(
    *,
    feed: Feed,
    names: Sequence[str],
    rows: list[tuple[str, list[Any]]],
    now: datetime.datetime,
) -> None:
    """Insert new meetings of `feed`; `rows` are (source key, values in the order of `names`,
    attnames such as "program_id")."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Meeting.objects.bulk_create(
            [
                Meeting(feed=feed, source_key=key, **dict(zip(names, values, strict=True)))
                for key, values in rows
            ],
            batch_size=INSERT_BATCH_SIZE,
        )
        return
    fields = _fields([*names, "feed_id", "source_key", "created_at", "updated_at"])
    prepare = _preparer(fields)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(Meeting._meta.db_table)
    # The driver's own cursor: Django's wrapper has no copy(). Same connection, same
    # transaction; constraints are checked as for an INSERT.
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for key, values in rows:
            copy.write_row(prepare([*values, feed.pk, key, now, now]))


def meetings_update(
    *,
    names: Sequence[str],
    changed: list[tuple[int, list[Any]]],
    now: datetime.datetime,
) -> None:
    """Rewrite the `names` fields of changed meetings; `changed` is (pk, values)."""
    if not changed:
        return
    fields = _fields([*names, "updated_at"])
    prepare = _preparer(fields)
    assignments = ", ".join(f"{connection.ops.quote_name(field.column)} = %s" for field in fields)
    sql = (
        f"UPDATE {connection.ops.quote_name(Meeting._meta.db_table)} SET {assignments} "
        f"WHERE {connection.ops.quote_name(Meeting._meta.pk.column)} = %s"
    )
    params = [[*prepare([*values, now]), pk] for pk, values in changed]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def meetings_deactivate(*, pks: list[int], now: datetime.datetime) -> None:
    for start in range(0, len(pks), DEACTIVATE_BATCH_SIZE):
        Meeting.objects.filter(pk__in=pks[start : start + DEACTIVATE_BATCH_SIZE]).update(
            is_active=False, updated_at=now
        )
