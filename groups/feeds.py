"""A feed's life: queued, fetched (conditionally), imported by a worker, refreshed by beat.

Imports never run in a request. `feed_queue` marks a feed queued with a conditional UPDATE
and sends the task once the transaction commits; the worker's `feed_refresh` claims the feed
the same way, so two messages for one feed (a double click, a redelivered task, beat and a
person at once) make one import and the other finds the feed busy. A claim older than
FEED_IMPORT_LEASE_SECONDS belongs to a dead worker and may be taken over.

A feed that fails keeps its meetings and shows the reason; one not read successfully for
FEED_STALE_HOURS is stale on its admin's page and the dashboard.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from groups.importers import FeedImportError, feed_import
from groups.importers.sources import is_url, source_fetch, source_read
from groups.models import Feed, FeedStatus, Meeting

logger = logging.getLogger(__name__)


def _lease_expired(now) -> Q:
    lease = timezone.timedelta(seconds=settings.FEED_IMPORT_LEASE_SECONDS)
    return Q(status_changed_at__lt=now - lease) | Q(status_changed_at__isnull=True)


def _set_status(feed: Feed, status: str, detail: str = "", **fields) -> None:
    """Written at once, outside any import transaction, so the feed's page sees progress."""
    now = timezone.now()
    values = {"status": status, "status_changed_at": now, "status_detail": detail, **fields}
    Feed.objects.filter(pk=feed.pk).update(**values)
    for name, value in values.items():
        setattr(feed, name, value)


def feed_queue(feed: Feed) -> bool:
    """Queue an import of `feed`; False if one is already queued or running."""
    from groups.tasks import import_feed

    now = timezone.now()
    claimed = (
        Feed.objects.filter(pk=feed.pk)
        .filter(Q(status=FeedStatus.IDLE) | _lease_expired(now))
        .update(
            status=FeedStatus.QUEUED, status_changed_at=now, status_detail="Waiting for a worker"
        )
    )
    if not claimed:
        return False
    feed.status, feed.status_changed_at = FeedStatus.QUEUED, now
    transaction.on_commit(lambda: import_feed.delay(feed.pk))
    return True


@dataclass
class RefreshOutcome:
    feed_id: int
    outcome: str  # "imported", "not-modified", "failed", "busy", "gone"
    detail: str = ""


def feed_refresh(feed_id: int, *, now=None) -> RefreshOutcome:
    """Fetch and import one feed, if no one else is. Never raises for a bad feed."""
    now = now or timezone.now()
    claimed = (
        Feed.objects.filter(pk=feed_id)
        .filter(Q(status__in=[FeedStatus.IDLE, FeedStatus.QUEUED]) | _lease_expired(now))
        .update(
            status=FeedStatus.FETCHING,
            status_changed_at=now,
            status_detail="Fetching the feed",
            last_attempt_at=now,
        )
    )
    feed = Feed.objects.select_related("default_program").filter(pk=feed_id).first()
    if feed is None:
        return RefreshOutcome(feed_id, "gone")
    if not claimed:
        return RefreshOutcome(feed_id, "busy", "another import of this feed is under way")
    try:
        return _refresh(feed, now=now)
    except FeedImportError as error:
        return _failed(feed, str(error), now=now)
    except Exception:
        logger.exception("Import of feed %s failed unexpectedly", feed.pk)
        _failed(feed, "The import failed unexpectedly; the error is in the worker's log.", now=now)
        raise


def _refresh(feed: Feed, *, now) -> RefreshOutcome:
    etag = last_modified = ""
    if feed.is_upload:
        body = bytes(feed.upload)
    elif is_url(feed.source):
        # Validators only once an import has succeeded: a 304 must mean "as last imported".
        fetched = source_fetch(
            feed.source,
            etag=feed.etag if feed.content_sha256 else "",
            last_modified=feed.last_modified if feed.content_sha256 else "",
            timeout=settings.FEED_FETCH_TIMEOUT_SECONDS,
            allow_private=feed.practice_id is None or settings.FEED_ALLOW_PRIVATE_ADDRESSES,
        )
        body, etag, last_modified = fetched.body, fetched.etag, fetched.last_modified
    elif feed.practice_id is None:
        body = source_read(feed.source)  # the operator's file on the server
    else:
        raise FeedImportError("This feed has neither a web address nor an uploaded file.")

    digest = hashlib.sha256(body).hexdigest() if body is not None else feed.content_sha256
    if body is None or digest == feed.content_sha256:
        _set_status(
            feed,
            FeedStatus.IDLE,
            "Unchanged since the last import",
            last_checked_at=now,
            last_error="",
            failing_since=None,
            etag=etag or feed.etag,
            last_modified=last_modified or feed.last_modified,
        )
        return RefreshOutcome(feed.pk, "not-modified")

    _set_status(feed, FeedStatus.IMPORTING, f"Importing {len(body):,} bytes")
    report = feed_import(feed=feed, records_or_source=body)
    _set_status(
        feed,
        FeedStatus.IDLE,
        report.summary(),
        last_checked_at=now,
        last_error="",
        failing_since=None,
        etag=etag,
        last_modified=last_modified,
        content_sha256=digest,
    )
    return RefreshOutcome(feed.pk, "imported", report.summary())


def _failed(feed: Feed, reason: str, *, now) -> RefreshOutcome:
    _set_status(
        feed,
        FeedStatus.IDLE,
        "The last import failed",
        last_error=reason,
        failing_since=feed.failing_since or now,
    )
    return RefreshOutcome(feed.pk, "failed", reason)


def feeds_due(*, now) -> QuerySet[Feed]:
    """Active feeds with a web address whose refresh is due: FEED_REFRESH_HOURS after the last
    attempt, or FEED_RETRY_HOURS after a failed one."""
    refresh = now - timezone.timedelta(hours=settings.FEED_REFRESH_HOURS)
    retry = now - timezone.timedelta(hours=settings.FEED_RETRY_HOURS)
    return (
        Feed.objects.filter(is_paused=False, upload__isnull=True)
        .filter(Q(source__istartswith="http://") | Q(source__istartswith="https://"))
        .filter(
            Q(last_attempt_at__isnull=True)
            | Q(last_attempt_at__lt=refresh)
            | Q(last_attempt_at__lt=retry, failing_since__isnull=False)
        )
        .order_by("last_attempt_at", "pk")
    )


def feeds_refresh_due(*, now=None) -> int:
    """Queue every feed that is due; returns how many were queued."""
    now = now or timezone.now()
    return sum(feed_queue(feed) for feed in feeds_due(now=now))


def stale_feeds(feeds: QuerySet[Feed], *, now) -> QuerySet[Feed]:
    """The feeds of `feeds` not read successfully for FEED_STALE_HOURS (see Feed.is_stale)."""
    since = now - timezone.timedelta(hours=settings.FEED_STALE_HOURS)
    return feeds.filter(is_paused=False, upload__isnull=True).filter(
        Q(last_checked_at__lt=since) | Q(last_checked_at__isnull=True, created_at__lt=since)
    )


def feed_remove(feed: Feed) -> int:
    """Delete a feed. Its meetings stay, inactive and detached (plans point at them); returns
    how many were deactivated."""
    with transaction.atomic():
        meetings = Meeting.objects.filter(feed=feed)
        deactivated = meetings.filter(is_active=True).count()
        meetings.update(is_active=False, feed=None, updated_at=timezone.now())
        feed.delete()
    return deactivated
