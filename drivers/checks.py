"""System checks of the drivers configuration (``manage.py check``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from drivers import registry, tls


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


@register()
def check_pbx_ca_file(app_configs, **kwargs) -> list[Error]:
    """``ASTITRAY_PBX_CA_FILE``, when set, is a readable PEM file of certificates."""
    try:
        tls.check_ca_file(settings.ASTITRAY_PBX_CA_FILE)
    except tls.CaFileUnusable as exc:
        return [
            Error(
                f"ASTITRAY_PBX_CA_FILE: {exc}",
                hint="Name the PEM file of the CA that signed the PBX's certificate, or leave it empty.",
                id="drivers.E002",
            )
        ]
    return []
