from celery import shared_task

from recovery.services import heartbeat_record


@shared_task(bind=True, name="recovery.tasks.heartbeat")
def heartbeat(self) -> None:
    """Beat queues this every HEARTBEAT_SECONDS; a worker running it proves the chain works."""
    heartbeat_record(worker=self.request.hostname or "")
