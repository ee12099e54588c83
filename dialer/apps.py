from django.apps import AppConfig


class DialerConfig(AppConfig):
    name = "dialer"
    verbose_name = "Dialing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dialer import checks  # noqa: F401  (registers the system checks)
