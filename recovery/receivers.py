"""Sign-in and sign-out reach the audit trail (and the session list) through Django's auth
signals, and lockouts through django-axes' signal.

Signals rather than the login view, because the admin's sign-in page and any other goes
through `authenticate()` and `login()` as well; deactivation through the User's post_save,
because an account can be switched off in the admin, a shell or a data fix alike.
"""

from axes.signals import user_locked_out
from django.contrib.auth import signals
from django.db.models.signals import post_save
from django.dispatch import receiver

from recovery import sessions
from recovery.models import AuditAction, User
from recovery.services import audit


def _known_practice(identifier: str):
    # Name the practice when the account exists, so its admins see attempts on their staff.
    known = User.objects.filter(email=identifier.lower()).select_related("practice").first()
    return known.practice if known else None


@receiver(signals.user_logged_in)
def audit_login(sender, request, user, **kwargs) -> None:
    audit(action=AuditAction.LOGIN, actor=user, obj=user, request=request)
    sessions.user_session_start(request=request, user=user)


@receiver(signals.user_logged_out)
def audit_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit(action=AuditAction.LOGOUT, actor=user, obj=user, request=request)
        # Signing out means everywhere: a computer left signed in elsewhere is ended too.
        sessions.user_sessions_end(user=user)


@receiver(signals.user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked the password in `credentials`; keep only who was tried.
    identifier = str(credentials.get("username") or credentials.get("email") or "")
    audit(
        action=AuditAction.LOGIN_FAILED,
        identifier=identifier,
        request=request,
        practice=_known_practice(identifier),
    )


@receiver(user_locked_out)
def audit_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    identifier = str(username or "")
    audit(
        action=AuditAction.LOCKED_OUT,
        identifier=identifier,
        request=request,
        practice=_known_practice(identifier),
    )


@receiver(post_save, sender=User)
def end_sessions_of_deactivated_user(sender, instance: User, **kwargs) -> None:
    if not instance.is_active:
        sessions.user_sessions_end(user=instance)
