"""Meeting-feed importers: Meeting Guide JSON, BMLT GetSearchResults JSON and CSV.

`feed_import(feed=..., records_or_source=...)` (in base) is the one way in; each format module
only turns its records into rows with Meeting Guide's meaning, and base does the upsert.
"""

from groups.importers import bmlt, csv_feed, meeting_guide
from groups.importers.base import ImportReport, Parser, feed_import
from groups.importers.sources import FeedImportError, SourceError
from groups.models import FeedFormat

PARSERS: dict[str, Parser] = {
    FeedFormat.MEETING_GUIDE: meeting_guide.parse,
    FeedFormat.BMLT: bmlt.parse,
    FeedFormat.CSV: csv_feed.parse,
}

__all__ = ["PARSERS", "FeedImportError", "ImportReport", "SourceError", "feed_import"]
