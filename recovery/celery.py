"""The Celery app that `celery -A recovery worker` and `celery -A recovery beat` start.

Its configuration lives in Django's settings under the CELERY_ prefix, so there is one
place to read it.
"""

import logging
import os
import socket

from celery import Celery, signals

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery.settings")

app = Celery("recovery")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Beat records its own tick each time it sends the heartbeat, so /healthz can tell a stopped
# beat from a stopped worker. Only the beat process does: a test or a shell sending the task
# by hand is not beat.
_in_beat = False


@signals.beat_init.connect
def _mark_beat_process(sender=None, **kwargs) -> None:
    global _in_beat
    _in_beat = True


@signals.before_task_publish.connect
def _record_beat_tick(sender=None, **kwargs) -> None:
    if not _in_beat or sender != "recovery.tasks.heartbeat":
        return
    from recovery.services import beat_tick_record

    try:
        beat_tick_record(host=socket.gethostname())
    except Exception:
        # A database blip must not stop beat from scheduling; /healthz shows the stale tick.
        logger.exception("Could not record beat's tick")
