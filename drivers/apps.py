from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DriversConfig(AppConfig):
    name = "drivers"
    verbose_name = _("PBX servers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.translation import gettext

        from drivers import (
            checks,  # noqa: F401  (registers the system checks)
            translation,
        )
        from drivers.default_pbx import connect_signals

        # What drivers write for people follows the request's (or the installation's) language.
        translation.install(gettext)
        connect_signals()
