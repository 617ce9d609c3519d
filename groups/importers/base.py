"""The import service every format shares: parse, check keys, then one upsert transaction.

Upsert is keyed by (feed, source key). The feed's meetings are read once into a dict; each
parsed row is compared with what is stored, field by field, so a re-import of the same file
writes nothing. New rows are inserted and changed rows rewritten in bulk (writes.py), and
meetings that are no longer in the feed are deactivated — never deleted: plans point at them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from groups.importers import writes
from groups.importers.fields import RecordError, text
from groups.importers.sources import FeedImportError, SourceError, source_read
from groups.models import Feed, FeedFormat, Meeting, Program

# The imported fields, compared to decide unchanged or updated. `program_id` rather than
# `program` so the comparison never loads a Program.
COMPARED_FIELDS = (
    "program_id",
    "name",
    "day",
    "start_time",
    "end_time",
    "time_zone",
    "attendance_option",
    "location_name",
    "address",
    "city",
    "region",
    "postal_code",
    "country",
    "feed_regions",
    "latitude",
    "longitude",
    "location_notes",
    "conference_url",
    "conference_url_notes",
    "conference_phone",
    "conference_phone_notes",
    "types",
    "notes",
    "source_updated_at",
    "is_active",
)
_COMPARED_SET = frozenset(COMPARED_FIELDS)
SOURCE_KEY_MAX_LENGTH = 255  # Meeting.source_key

# The program a feed's meetings belong to when the feed names none: Meeting Guide is the
# format AA intergroups publish, BMLT is NA's. A CSV names its program per row.
DEFAULT_PROGRAM_KEYS: dict[str, str | None] = {
    FeedFormat.MEETING_GUIDE: "AA",
    FeedFormat.BMLT: "NA",
    FeedFormat.CSV: None,
}


@dataclass(slots=True)
class Row:
    """One meeting read from a feed: its source key and the values of COMPARED_FIELDS."""

    key: str
    values: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # A parser that forgot a field would fail the whole upsert; fail on its first row.
        if self.values.keys() != _COMPARED_SET:
            raise AssertionError(f"row fields differ: {set(self.values) ^ _COMPARED_SET}")


@dataclass(slots=True)
class Rejected:
    key: str
    reason: str


@dataclass(slots=True)
class ImportContext:
    """What a parser needs besides the records."""

    default_time_zone: str
    program: Program | None
    programs: dict[str, Program]  # by upper-cased key, for formats that name one per row


Parser = Callable[[Any, ImportContext], Iterable[Row | Rejected]]


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    rejected: list[dict[str, str]] = field(default_factory=list)
    # Details dropped from imported meetings (a bad map pin, a link that is not a URL).
    warnings: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
            "rejected": self.rejected,
            "warnings": self.warnings,
        }

    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.deactivated} deactivated, {len(self.rejected)} rejected"
        )


def load_json(payload: Any, *, what: str) -> Any:
    """Decoded JSON from bytes or text; a list or dict given directly is used as it is."""
    if isinstance(payload, list | dict):
        return payload
    try:
        return json.loads(payload)
    except UnicodeDecodeError:
        raise SourceError(f"The {what} is not text in UTF-8.") from None
    except json.JSONDecodeError as error:
        raise SourceError(
            f"The {what} is not JSON (line {error.lineno}, column {error.colno}: {error.msg})."
        ) from None


def records_list(data: Any, *, what: str) -> list[Any]:
    if not isinstance(data, list):
        kind = {dict: "an object", str: "a string"}.get(type(data), type(data).__name__)
        raise SourceError(f"The {what} is {kind}, not a list of meetings.")
    return data


def record_outcomes(
    records: list[Any],
    parse_record: Callable[[dict, ImportContext], Iterable[Row]],
    context: ImportContext,
    *,
    key_field: str,
) -> Iterator[Row | Rejected]:
    """Run one record parser over a list, turning each failure into a rejection.

    A record that is rejected is named by its key where it has one, else by its place in the
    file ("#12"), so the person fixing the feed can find it.
    """
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            yield Rejected(f"#{index}", "not a meeting record (a JSON object)")
            continue
        key = text(record.get(key_field)) or f"#{index}"
        try:
            # Materialised here so an error in any of a record's days rejects the record whole.
            rows = list(parse_record(record, context))
        except RecordError as error:
            yield Rejected(key, str(error))
            continue
        except (TypeError, ValueError, LookupError, AttributeError, ArithmeticError) as error:
            # A shape no check foresaw: still this record's problem, never the whole import's.
            yield Rejected(key, f"unreadable record ({type(error).__name__}: {error})")
            continue
        yield from rows


def feed_import(
    *,
    feed: Feed,
    records_or_source: list | bytes | str | None = None,
    program_key: str | None = None,
) -> ImportReport:
    """Import a feed: records (a list), file contents (bytes), a path or URL (str), or, by
    default, the feed's own `source`.

    Raises SourceError before anything is written when the source as a whole is unusable;
    a bad record is only rejected. Stores the report on the feed.
    """
    from groups.importers import PARSERS  # the package imports every format, and this module

    payload = feed.source if records_or_source is None else records_or_source
    if isinstance(payload, str):
        payload = source_read(payload)
    context = ImportContext(
        default_time_zone=feed.default_time_zone,
        program=_program_for(feed, program_key),
        programs={program.key.upper(): program for program in Program.objects.all()},
    )
    # Parse everything before the first write: a source-level error must change nothing.
    outcomes = list(PARSERS[feed.format](payload, context))

    report = ImportReport()
    rows: dict[str, Row] = {}
    for outcome in outcomes:
        if isinstance(outcome, Rejected):
            report.rejected.append({"key": outcome.key, "reason": outcome.reason})
        elif len(outcome.key) > SOURCE_KEY_MAX_LENGTH:
            report.rejected.append(
                {"key": outcome.key[:80], "reason": f"key longer than {SOURCE_KEY_MAX_LENGTH}"}
            )
        elif outcome.key in rows:
            report.rejected.append(
                {"key": outcome.key, "reason": "duplicate key: an earlier record has it"}
            )
        else:
            rows[outcome.key] = outcome
            report.warnings.extend({"key": outcome.key, "warning": w} for w in outcome.warnings)

    now = timezone.now()
    with transaction.atomic():
        # Two imports of one feed at once would both insert the same new keys: take turns.
        Feed.objects.select_for_update().filter(pk=feed.pk).exists()
        _upsert(feed, rows, report, now)
        feed.last_imported_at = now
        feed.last_report = report.as_dict()
        feed.save(update_fields=["last_imported_at", "last_report"])
    return report


def _program_for(feed: Feed, program_key: str | None) -> Program | None:
    if feed.default_program_id:
        return feed.default_program
    key = program_key or DEFAULT_PROGRAM_KEYS[feed.format]
    if not key:
        return None
    try:
        return Program.objects.get(key__iexact=key)
    except Program.DoesNotExist:
        known = ", ".join(Program.objects.values_list("key", flat=True))
        raise FeedImportError(f"Unknown program {key!r} (known: {known}).") from None


def _upsert(feed: Feed, rows: dict[str, Row], report: ImportReport, now) -> None:
    stored = {
        key: (pk, values)
        for pk, key, *values in Meeting.objects.filter(feed=feed)
        .order_by()  # the model's ordering would only make the database sort
        .values_list("pk", "source_key", *COMPARED_FIELDS)
    }
    to_create: list[tuple[str, list[Any]]] = []
    to_update: list[tuple[int, list[Any]]] = []
    for key, row in rows.items():
        values = [row.values[name] for name in COMPARED_FIELDS]
        existing = stored.get(key)
        if existing is None:
            to_create.append((key, values))
        elif existing[1] != values:
            to_update.append((existing[0], values))
        else:
            report.unchanged += 1

    is_active = COMPARED_FIELDS.index("is_active")
    gone = [pk for key, (pk, values) in stored.items() if key not in rows and values[is_active]]

    writes.meetings_insert(feed=feed, names=COMPARED_FIELDS, rows=to_create, now=now)
    writes.meetings_update(names=COMPARED_FIELDS, changed=to_update, now=now)
    writes.meetings_deactivate(pks=gone, now=now)
    report.created = len(to_create)
    report.updated = len(to_update)
    report.deactivated = len(gone)
