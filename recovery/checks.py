"""System checks of our own, run by `manage.py check` (those tagged deploy only with --deploy)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

# Backends that keep mail on this machine instead of sending it.
UNSENT_MAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend": "printed to the log",
    "django.core.mail.backends.locmem.EmailBackend": "kept in memory",
}


@register(Tags.security, deploy=True)
def check_mail_is_sent(app_configs, **kwargs):
    """recovery.W001: production without a mail server would print every reminder, with the
    client's address and their signed one-click links, to stdout and the logs."""
    if settings.DEBUG:
        return []
    fate = UNSENT_MAIL_BACKENDS.get(settings.EMAIL_BACKEND)
    if fate is None:
        return []
    return [
        Warning(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}: reminder emails would be {fate} "
            "instead of sent, with clients' addresses and signed links in them.",
            hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, "
            "EMAIL_USE_TLS as your mail server needs) so that mail goes out over SMTP.",
            id="recovery.W001",
        )
    ]
