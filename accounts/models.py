"""Which phone belongs to whom: the Extension, set by an admin or taken from a directory."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from drivers.default_pbx import default_pbx
from drivers.models import PbxServer
from drivers.validators import validate_channel, validate_no_control_characters, validate_no_whitespace


class Extension(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", _("set by an admin")
        LDAP = "ldap", _("LDAP directory")
        SQL = "sql", _("external SQL table")
        HTPASSWD = "htpasswd", _("password file")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="extension", verbose_name=_("user")
    )
    number = models.CharField(
        _("number"),
        max_length=32,
        validators=[RegexValidator(r"^[0-9*#+]{1,32}\Z", _("Only digits, *, # and + are allowed."))],
        help_text=_("The internal number of the phone (1001)."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=128,
        validators=[validate_channel],
        help_text=_(
            "The dial string that rings this phone: PJSIP/1001, SIP/alice, Local/1001@from-internal; "
            "FreeSWITCH: user/1001 or user/1001@domain."
        ),
    )
    caller_id = models.CharField(
        _("caller ID"),
        max_length=80,
        blank=True,
        validators=[validate_no_control_characters],
        help_text=_('What the called party sees, e.g. "Alice Martin" <1001>. Empty: the PBX decides.'),
    )
    account_code = models.CharField(
        _("account code"),
        max_length=80,
        blank=True,
        validators=[validate_no_whitespace],
        help_text=_("Written on the PBX's CDRs."),
    )
    auto_answer = models.BooleanField(
        _("auto answer"),
        default=False,
        help_text=_("Ask the phone to pick up by itself (speaker) when Astitray rings it."),
    )
    pbx = models.ForeignKey(
        PbxServer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="extensions",
        verbose_name=_("PBX"),
        help_text=_("Empty: the default PBX."),
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.MANUAL)
    enabled = models.BooleanField(_("enabled"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")

    def __str__(self) -> str:
        return f"{self.number} ({self.channel})"

    # The one answer to "which PBX serves this phone" (the dial service, the API, the admin, check_login).

    def pbx_of_phone(self) -> PbxServer | None:
        """The PBX this phone is on, enabled or not: its own, else the default PBX (None: no PBX at all).

        Its dial plan says how the phone dials, even while it is disabled.
        """
        if self.pbx_id is not None:
            return self.pbx
        return default_pbx()  # this process's copy: no query a dial

    def effective_pbx(self) -> PbxServer | None:
        """The PBX that serves this phone: :meth:`pbx_of_phone` when it is enabled, else None."""
        pbx = self.pbx_of_phone()
        return pbx if pbx is not None and pbx.enabled else None


class ApiToken(models.Model):
    """A token a user made for one of their devices (the tray, the browser extension, a script).

    Only a hash of the token is kept (SHA-256 of a 256-bit random value: a
    fast hash is enough, nothing to brute-force), so the token itself is
    shown once, at creation, and never again. Revoking deletes the row.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    label = models.CharField(_("label"), max_length=100, help_text=_("Which device or program uses it."))
    key_hash = models.CharField(_("hash"), max_length=64, unique=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    last_address = models.GenericIPAddressField(_("last address"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.label} ({self.user})"
