"""Which phone belongs to whom: the Extension, set by an admin or taken from a directory."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from drivers.models import PbxServer
from drivers.validators import validate_channel, validate_no_control_characters, validate_no_whitespace


class Extension(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", "set by an admin"
        LDAP = "ldap", "LDAP directory"
        SQL = "sql", "external SQL table"
        HTPASSWD = "htpasswd", "password file"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="extension")
    number = models.CharField(
        max_length=32,
        validators=[RegexValidator(r"^[0-9*#+]{1,32}\Z", "Only digits, *, # and + are allowed.")],
        help_text="The internal number of the phone (1001).",
    )
    channel = models.CharField(
        max_length=128,
        validators=[validate_channel],
        help_text="The dial string that rings this phone: PJSIP/1001, SIP/alice, Local/1001@from-internal.",
    )
    caller_id = models.CharField(
        "caller ID",
        max_length=80,
        blank=True,
        validators=[validate_no_control_characters],
        help_text='What the called party sees, e.g. "Alice Martin" <1001>. Empty: the PBX decides.',
    )
    account_code = models.CharField(
        max_length=80, blank=True, validators=[validate_no_whitespace], help_text="Written on the PBX's CDRs."
    )
    auto_answer = models.BooleanField(
        default=False, help_text="Ask the phone to pick up by itself (speaker) when Astitray rings it."
    )
    pbx = models.ForeignKey(
        PbxServer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="extensions",
        verbose_name="PBX",
        help_text="Empty: the default PBX.",
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    enabled = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} ({self.channel})"

    def effective_pbx(self) -> PbxServer | None:
        """The PBX this phone is on: its own if enabled, else the default PBX."""
        if self.pbx_id is not None:
            return self.pbx if self.pbx and self.pbx.enabled else None
        return PbxServer.objects.default()
