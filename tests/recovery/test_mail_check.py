"""recovery.W001: `check --deploy` warns when production mail would not leave the machine.

tests/recovery/test_deploy_check.py runs the real command under production settings; these
call the check itself for each backend.
"""

import pytest

from recovery.checks import check_mail_is_sent

SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.parametrize(
    ("backend", "fate"), [(CONSOLE, "printed to the log"), (LOCMEM, "kept in memory")]
)
def test_production_with_mail_that_stays_on_the_machine_is_warned_about(settings, backend, fate):
    settings.DEBUG, settings.EMAIL_BACKEND = False, backend

    [warning] = check_mail_is_sent(None)

    assert warning.id == "recovery.W001"
    assert fate in warning.msg and "instead of sent" in warning.msg
    assert "Set EMAIL_HOST" in warning.hint


@pytest.mark.parametrize(("debug", "backend"), [(False, SMTP), (True, CONSOLE), (True, LOCMEM)])
def test_smtp_in_production_or_any_backend_in_development_is_fine(settings, debug, backend):
    settings.DEBUG, settings.EMAIL_BACKEND = debug, backend

    assert check_mail_is_sent(None) == []
