from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and extensions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The audit log's signal receivers and the system checks of the authentication sources.
        from accounts import audit, checks  # noqa: F401
