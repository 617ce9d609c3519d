"""python manage.py import_meetings --format meeting-guide --feed NAME [--timezone ZONE] SOURCE"""

import json

from django.core.management.base import BaseCommand, CommandError

from groups.importers import FeedImportError
from groups.models import FeedFormat
from groups.services import meetings_import

SHOWN_PER_LIST = 50  # the human summary; --json always lists everything


class Command(BaseCommand):
    help = (
        "Import meetings from a Meeting Guide JSON, BMLT GetSearchResults JSON or CSV file or "
        "http(s) URL into a feed, creating the feed on first use. Re-importing changes only "
        "what changed; meetings gone from the feed are deactivated, never deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="a file path or an http(s) URL")
        parser.add_argument("--format", required=True, choices=FeedFormat.values)
        parser.add_argument("--feed", required=True, help="the feed's name (created if new)")
        parser.add_argument(
            "--timezone",
            help="the feed's default time zone, for records that name none "
            "(e.g. America/Los_Angeles); remembered by the feed",
        )
        parser.add_argument(
            "--program",
            help="program key (AA, NA, SMART, ...) of the feed's meetings; default AA for "
            "meeting-guide, NA for bmlt; for csv, used where a row's program column is blank",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="print one JSON object: created, updated, unchanged, deactivated, rejected",
        )

    def handle(self, *args, **options):
        try:
            feed, report = meetings_import(
                feed_name=options["feed"],
                format=options["format"],
                source=options["source"],
                time_zone=options["timezone"],
                program_key=options["program"],
            )
        except FeedImportError as error:
            raise CommandError(str(error)) from None
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            return
        self.stdout.write(f"{feed.name} ({feed.format}): {report.summary()}.")
        for title, entries, detail in (
            ("Rejected", report.rejected, "reason"),
            ("Warnings", report.warnings, "warning"),
        ):
            if not entries:
                continue
            self.stdout.write(f"{title}:")
            for entry in entries[:SHOWN_PER_LIST]:
                self.stdout.write(f"  {entry['key']}: {entry[detail]}")
            if len(entries) > SHOWN_PER_LIST:
                self.stdout.write(f"  ... and {len(entries) - SHOWN_PER_LIST} more (see --json)")
