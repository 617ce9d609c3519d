"""CSV: a practice's own list of meetings, one row each, with a header row.

The columns are Meeting Guide's field names (the README's table lists them), in any order,
matched case-insensitively with spaces read as underscores ("Conference URL" is
`conference_url`, as Meeting Guide's Google Sheets template writes it). `key`, `name`, `day`
and `time` are required columns; `key` (or `id`, or `slug`) must be unique in the file and
stay the same from one export to the next, since it is what re-imports match on. `program`
holds a program key (AA, NA, SMART, ...), falling back to the feed's or the command's program.
`day` is 0-6 from Sunday, or a day name. `types` holds codes separated by commas or spaces.
Comma-separated, UTF-8 (a spreadsheet's byte-order mark is fine).
"""

import csv
import io
from collections.abc import Iterator
from typing import Any

from groups.importers.base import ImportContext, Rejected, Row, record_outcomes
from groups.importers.fields import RecordError, parse_day, text
from groups.importers.meeting_guide import meeting_values
from groups.importers.sources import SourceError

WHAT = "CSV file"
REQUIRED_COLUMNS = ("key", "name", "day", "time")
KEY_ALIASES = ("id", "slug")  # Meeting Guide's sheet calls the key "ID"


def parse(payload: Any, context: ImportContext) -> Iterator[Row | Rejected]:
    if isinstance(payload, list):
        records = [_normalise(row) for row in payload if isinstance(row, dict)]
    else:
        records = _read(payload)
    return record_outcomes(records, parse_record, context, key_field="key")


def parse_record(record: dict, context: ImportContext) -> list[Row]:
    key = text(record.get("key"))
    if not key:
        raise RecordError("no key")
    program_key = text(record.get("program")).upper()
    if program_key and program_key not in context.programs:
        raise RecordError(f"unknown program {program_key!r}")
    program = context.programs[program_key] if program_key else context.program
    day = parse_day(record.get("day"))
    values, warnings = meeting_values(record, context, program=program)
    return [Row(key, {**values, "day": day}, warnings)]


def _read(payload: bytes | str) -> list[dict[str, str]]:
    if isinstance(payload, bytes):
        try:
            payload = payload.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SourceError(f"The {WHAT} is not text in UTF-8.") from None
    try:
        reader = csv.DictReader(io.StringIO(payload, newline=""))
        header = [_column(name) for name in reader.fieldnames or []]
        if not header:
            raise SourceError(f"The {WHAT} is empty: it needs a header row.")
        reader.fieldnames = header
        columns = set(header) | ({"key"} if set(KEY_ALIASES) & set(header) else set())
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        if missing:
            raise SourceError(
                f"The {WHAT} has no {', '.join(missing)} column: the header row needs "
                f"{', '.join(REQUIRED_COLUMNS)}."
            )
        return [_normalise(row) for row in reader]
    except csv.Error as error:
        raise SourceError(f"The {WHAT} cannot be read as CSV ({error}).") from None


def _column(name: str) -> str:
    return "_".join(name.strip().lower().split())


def _normalise(row: dict) -> dict[str, Any]:
    record = {_column(str(name)): value for name, value in row.items() if name is not None}
    if not text(record.get("key")):
        for alias in KEY_ALIASES:
            if text(record.get(alias)):
                record["key"] = record[alias]
                break
    return record
