"""The PBX servers admins configure: where to send calls, and their dial plan."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.dispatch import Signal

from drivers import registry
from drivers.base import PbxConfig
from drivers.validators import (
    validate_dial_prefix,
    validate_no_control_characters,
    validate_no_whitespace,
    validate_regex,
    validate_region,
)

# Sent after a bulk ``update()`` or ``delete()`` of PBX servers (no post_save/post_delete then):
# whoever keeps a copy of a PBX (dialer.rule_cache) reads it again.
pbx_servers_changed = Signal()


class PbxServerQuerySet(models.QuerySet):
    def update(self, **kwargs) -> int:
        count = super().update(**kwargs)
        pbx_servers_changed.send(sender=PbxServer)
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        result = super().delete()
        pbx_servers_changed.send(sender=PbxServer)
        return result

    def default(self) -> PbxServer | None:
        """The PBX used by extensions that name none: the enabled default, else the only enabled one."""
        enabled = list(self.filter(enabled=True).order_by("-is_default", "pk")[:2])
        if not enabled:
            return None
        if enabled[0].is_default or len(enabled) == 1:
            return enabled[0]
        return None


class PbxServer(models.Model):
    name = models.CharField(max_length=80, unique=True)
    driver = models.CharField(
        max_length=40,
        default="console",
        help_text="Which driver talks to this PBX (console only writes calls to the log).",
    )
    host = models.CharField(max_length=255, blank=True, validators=[validate_no_whitespace])
    port = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
        help_text="Empty: the driver's usual port (AMI 5038, AJAM/ARI 8088).",
    )
    use_tls = models.BooleanField("use TLS", default=False)
    username = models.CharField(max_length=80, blank=True, validators=[validate_no_control_characters])
    # Never shown back in the admin, never logged, never returned by the API.
    secret = models.CharField(max_length=255, blank=True, validators=[validate_no_control_characters])
    url_prefix = models.CharField(
        "URL prefix",
        max_length=80,
        blank=True,
        validators=[validate_no_whitespace],
        help_text="AJAM/ARI: Asterisk's http.conf prefix (empty by default).",
    )
    context = models.CharField(
        max_length=80,
        default="from-internal",
        validators=[validate_no_whitespace],
        help_text="The dialplan context where the dialed number enters once the caller picks up.",
    )
    ring_timeout_s = models.PositiveSmallIntegerField(
        "ring timeout (s)",
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(300)],
        help_text="How long the caller's phone rings before the call is given up.",
    )
    timeout_s = models.FloatField(
        "network timeout (s)",
        default=5.0,
        validators=[MinValueValidator(0.5), MaxValueValidator(60)],
        help_text="How long the PBX has to answer (connect, login, action) before the call fails.",
    )
    country = models.CharField(
        max_length=2,
        default="FR",
        validators=[validate_region],
        help_text="ISO country of the PBX (FR, GB, US, ...): numbers without a country code are from here.",
    )
    outside_prefix = models.CharField(
        max_length=8,
        blank=True,
        default="0",
        validators=[validate_dial_prefix],
        help_text="Dialed before every external number to get an outside line (e.g. 0 or 9).",
    )
    international_prefix = models.CharField(
        max_length=8,
        default="00",
        validators=[validate_dial_prefix],
        help_text="Dialed before a country code (00 in Europe, 011 in North America).",
    )
    national_prefix = models.CharField(
        max_length=8,
        blank=True,
        default="0",
        validators=[validate_dial_prefix],
        help_text="Dialed before a national number (0 in France and the UK, 1 in North America).",
    )
    internal_pattern = models.CharField(
        max_length=200,
        blank=True,
        default=r"^\d{2,5}$",
        validators=[validate_regex],
        help_text="Regular expression of internal numbers, dialed as they are.",
    )
    is_default = models.BooleanField(
        "default PBX", default=False, help_text="Used by extensions that name no PBX."
    )
    enabled = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = PbxServerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "PBX server"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            if self.is_default:
                # One default at a time (a partial unique index is not portable to MariaDB).
                PbxServer.objects.filter(is_default=True).exclude(pk=self.pk).update(is_default=False)
            super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        try:
            registry.load_driver_class(self.driver, settings.ASTITRAY_DRIVERS)
        except registry.UnknownDriver:
            raise ValidationError({"driver": f"No PBX driver named {self.driver!r} is installed."}) from None

    def to_config(self) -> PbxConfig:
        """The plain settings a driver is built from."""
        return PbxConfig(
            name=self.name,
            host=self.host,
            port=self.port,
            use_tls=self.use_tls,
            username=self.username,
            secret=self.secret,
            url_prefix=self.url_prefix,
            context=self.context,
            ring_timeout_s=self.ring_timeout_s,
            timeout_s=self.timeout_s,
        )
