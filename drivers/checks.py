"""System checks of the drivers configuration (``manage.py check``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from drivers import registry


@register()
def check_extra_drivers(app_configs, **kwargs) -> list[Error]:
    errors = []
    for name in settings.ASTITRAY_DRIVERS:
        try:
            registry.load_driver_class(name, settings.ASTITRAY_DRIVERS)
        except registry.UnknownDriver as exc:
            errors.append(
                Error(str(exc), hint="Fix ASTITRAY_DRIVERS (name=dotted.path.Class).", id="drivers.E001")
            )
    return errors
