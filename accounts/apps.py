from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and extensions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The audit log's signal receivers and the system checks of the authentication sources.
        from accounts import audit, callers, checks, colleagues, lockout  # noqa: F401

        callers.connect_signals()
        lockout.connect_signals()
        # Every change of an Extension: each process reads its copy of colleagues' phones again.
        colleagues.connect_signals()
