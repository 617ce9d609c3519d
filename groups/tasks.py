"""Celery entry points for the catalogue: thin, the database holds the state."""

from celery import shared_task
from django.conf import settings

from groups.feeds import feed_refresh, feeds_refresh_due


@shared_task(
    name="groups.tasks.import_feed",
    soft_time_limit=settings.FEED_IMPORT_TIME_LIMIT_SECONDS,
    time_limit=settings.FEED_IMPORT_TIME_LIMIT_SECONDS + 60,
)
def import_feed(feed_id: int) -> dict:
    return vars(feed_refresh(feed_id))


@shared_task(name="groups.tasks.refresh_feeds")
def refresh_feeds() -> int:
    return feeds_refresh_due()
