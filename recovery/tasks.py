from celery import shared_task

from recovery.invitations import invitation_send
from recovery.services import heartbeat_record


@shared_task(bind=True, name="recovery.tasks.heartbeat")
def heartbeat(self) -> None:
    """Beat queues this every HEARTBEAT_SECONDS; a worker running it proves the chain works."""
    heartbeat_record(worker=self.request.hostname or "")


@shared_task(name="recovery.tasks.send_invitation")
def send_invitation(invitation_id: int) -> str:
    """Queued when an admin invites someone (or sends the invitation again)."""
    return invitation_send(invitation_id=invitation_id)
