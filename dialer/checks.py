"""System checks of the dialing configuration (``manage.py check``; also when a server starts)."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.checks import Error, register


@register("config")
def check_default_country(app_configs, **kwargs) -> list[Error]:
    country = settings.ASTITRAY_DEFAULT_COUNTRY
    if country in phonenumbers.SUPPORTED_REGIONS:
        return []
    return [
        Error(
            f"ASTITRAY_DEFAULT_COUNTRY is {country!r}, not a country of the numbering plan.",
            hint="Set ASTITRAY_DEFAULT_COUNTRY to an ISO country code such as FR, GB or US.",
            id="dialer.E001",
        )
    ]
