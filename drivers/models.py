"""The PBX servers admins configure: where to send calls, and their dial plan."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

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
# whoever keeps a copy of a PBX (drivers.default_pbx) reads it again.
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
    name = models.CharField(_("name"), max_length=80, unique=True)
    driver = models.CharField(
        _("driver"),
        max_length=40,
        default="console",
        help_text=_("Which driver talks to this PBX (console only writes calls to the log)."),
    )
    host = models.CharField(_("host"), max_length=255, blank=True, validators=[validate_no_whitespace])
    port = models.PositiveIntegerField(
        _("port"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
        help_text=_("Empty: the driver's usual port (AMI 5038, AJAM/ARI 8088, FreeSWITCH ESL 8021)."),
    )
    use_tls = models.BooleanField(_("use TLS"), default=False)
    username = models.CharField(
        _("username"), max_length=80, blank=True, validators=[validate_no_control_characters]
    )
    # Never shown back in the admin, never logged, never returned by the API.
    secret = models.CharField(
        _("secret"), max_length=255, blank=True, validators=[validate_no_control_characters]
    )
    url_prefix = models.CharField(
        _("URL prefix"),
        max_length=80,
        blank=True,
        validators=[validate_no_whitespace],
        help_text=_("AJAM/ARI: Asterisk's http.conf prefix (empty by default)."),
    )
    context = models.CharField(
        _("context"),
        max_length=80,
        default="from-internal",
        validators=[validate_no_whitespace],
        help_text=_("The dialplan context where the dialed number enters once the caller picks up."),
    )
    ring_timeout_s = models.PositiveSmallIntegerField(
        _("ring timeout (s)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(300)],
        help_text=_("How long the caller's phone rings before the call is given up."),
    )
    timeout_s = models.FloatField(
        _("network timeout (s)"),
        default=5.0,
        validators=[MinValueValidator(0.5), MaxValueValidator(60)],
        help_text=_("How long the PBX has to answer (connect, login, action) before the call fails."),
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        default="FR",
        validators=[validate_region],
        help_text=_(
            "ISO country of the PBX (FR, GB, US, ...): numbers without a country code are from here."
        ),
    )
    outside_prefix = models.CharField(
        _("outside prefix"),
        max_length=8,
        blank=True,
        default="0",
        validators=[validate_dial_prefix],
        help_text=_("Dialed before every external number to get an outside line (e.g. 0 or 9)."),
    )
    international_prefix = models.CharField(
        _("international prefix"),
        max_length=8,
        default="00",
        validators=[validate_dial_prefix],
        help_text=_("Dialed before a country code (00 in Europe, 011 in North America)."),
    )
    national_prefix = models.CharField(
        _("national prefix"),
        max_length=8,
        blank=True,
        default="0",
        validators=[validate_dial_prefix],
        help_text=_("Dialed before a national number (0 in France and the UK, 1 in North America)."),
    )
    internal_pattern = models.CharField(
        _("internal pattern"),
        max_length=200,
        blank=True,
        default=r"^\d{2,5}$",
        validators=[validate_regex],
        help_text=_("Regular expression of internal numbers, dialed as they are."),
    )
    is_default = models.BooleanField(
        _("default PBX"), default=False, help_text=_("Used by extensions that name no PBX.")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = PbxServerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("PBX server")
        verbose_name_plural = _("PBX servers")

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
            raise ValidationError(
                {"driver": _("No PBX driver named %(driver)r is installed.") % {"driver": self.driver}}
            ) from None

    def to_config(self) -> PbxConfig:
        """The plain settings a driver is built from."""
        return PbxConfig(
            name=self.name,
            host=self.host,
            port=self.port,
            use_tls=self.use_tls,
            ca_file=settings.ASTITRAY_PBX_CA_FILE,
            username=self.username,
            secret=self.secret,
            url_prefix=self.url_prefix,
            context=self.context,
            ring_timeout_s=self.ring_timeout_s,
            timeout_s=self.timeout_s,
        )
