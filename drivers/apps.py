from django.apps import AppConfig


class DriversConfig(AppConfig):
    name = "drivers"
    verbose_name = "PBX servers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from drivers import checks  # noqa: F401  (registers the system checks)
