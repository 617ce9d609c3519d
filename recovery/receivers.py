"""Sign-in and sign-out reach the audit trail through Django's auth signals.

Signals rather than the login view, because the admin's sign-in page and any future one
(2FA) go through `authenticate()` and `login()` as well.
"""

from django.contrib.auth import signals
from django.dispatch import receiver

from recovery.models import AuditAction, User
from recovery.services import audit


@receiver(signals.user_logged_in)
def audit_login(sender, request, user, **kwargs) -> None:
    audit(action=AuditAction.LOGIN, actor=user, obj=user, request=request)


@receiver(signals.user_logged_out)
def audit_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit(action=AuditAction.LOGOUT, actor=user, obj=user, request=request)


@receiver(signals.user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked the password in `credentials`; keep only who was tried.
    identifier = str(credentials.get("username") or credentials.get("email") or "")
    # Name the practice when the account exists, so its admins see attempts on their staff.
    known = User.objects.filter(email=identifier.lower()).select_related("practice").first()
    audit(
        action=AuditAction.LOGIN_FAILED,
        identifier=identifier,
        request=request,
        practice=known.practice if known else None,
    )
