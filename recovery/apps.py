from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "Accounts, practices and audit"

    def ready(self) -> None:
        from recovery import (
            checks,  # noqa: F401 - registers the system checks
            receivers,  # noqa: F401 - connects the sign-in audit receivers
        )
