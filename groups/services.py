"""Writes to the meeting catalogue. Importing a feed is the only one so far."""

from django.db import transaction

from groups.importers import FeedImportError, ImportReport, feed_import
from groups.importers.sources import source_read
from groups.models import Feed, FeedFormat, Program
from recovery.models import known_time_zones

__all__ = ["feed_import", "meetings_import"]


def meetings_import(
    *,
    feed_name: str,
    format: str,
    source: str,
    time_zone: str | None = None,
    program_key: str | None = None,
) -> tuple[Feed, ImportReport]:
    """Import a path or URL into the feed called `feed_name`, creating the feed on first use.

    The feed remembers `source`, and `time_zone` / `program_key` when given, so the admin's
    "Import now" repeats this import. If the source cannot be imported, nothing is written:
    not the meetings, and not a new feed either.
    """
    if format not in FeedFormat.values:
        raise FeedImportError(f"Unknown format {format!r} (one of {', '.join(FeedFormat.values)}).")
    if time_zone and time_zone not in known_time_zones():
        raise FeedImportError(f"Unknown time zone {time_zone!r} (e.g. America/New_York).")
    program = None
    if program_key:
        program = Program.objects.filter(key__iexact=program_key).first()
        if program is None:
            known = ", ".join(Program.objects.values_list("key", flat=True))
            raise FeedImportError(f"Unknown program {program_key!r} (known: {known}).")
    if not feed_name.strip() or len(feed_name) > Feed._meta.get_field("name").max_length:
        raise FeedImportError("A feed needs a name of 1 to 100 characters.")
    if len(source) > Feed._meta.get_field("source").max_length:
        raise FeedImportError("The source is too long to remember (500 characters at most).")

    # Fetch before the transaction: a slow intergroup server must not hold it open.
    payload = source_read(source)
    with transaction.atomic():
        feed = (
            Feed.objects.select_for_update().filter(name=feed_name, practice__isnull=True).first()
        )
        if feed is None:
            feed = Feed(name=feed_name, format=format)
        elif feed.format != format:
            raise FeedImportError(
                f"Feed {feed_name!r} is a {feed.format} feed; it cannot import {format}."
            )
        feed.source = source
        if time_zone:
            feed.default_time_zone = time_zone
        if program is not None:
            feed.default_program = program
        feed.save()
        report = feed_import(feed=feed, records_or_source=payload)
    return feed, report
