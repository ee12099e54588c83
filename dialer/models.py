"""What admins configure about numbers (rewrite rules per PBX, who may call what) and the call log."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from dialer.phrases import translated
from dialer.rewrite import Rule, RuleError, check_rule
from dialer.rule_cache import RuleQuerySet
from drivers.models import PbxServer
from drivers.validators import validate_no_control_characters, validate_regex


class RewriteRule(models.Model):
    """A regex substitution applied to the number after the dial plan.

    Step 4 of docs/architecture.md, "The rewrite pipeline".
    """

    pbx = models.ForeignKey(
        PbxServer,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rewrite_rules",
        verbose_name=_("PBX"),
        help_text=_("Empty: the rule applies to every PBX."),
    )
    position = models.PositiveIntegerField(
        _("position"), default=100, help_text=_("Rules run from the lowest position up.")
    )
    name = models.CharField(
        _("name"),
        max_length=80,
        validators=[validate_no_control_characters],
        help_text=_("Shown as the step's name in “Try a number” and in the API."),
    )
    pattern = models.CharField(
        _("pattern"),
        max_length=200,
        validators=[validate_no_control_characters, validate_regex],
        help_text=_(r"Regular expression searched in the number, e.g. ^(3\d{3})$."),
    )
    replacement = models.CharField(
        _("replacement"),
        max_length=64,
        blank=True,
        help_text=_(r"Digits, *, #, + and group references (\1, \g<name>), e.g. 0\1."),
    )
    final = models.BooleanField(
        _("final"), default=False, help_text=_("When this rule matches, the later rules are skipped.")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("rewrite rule")
        verbose_name_plural = _("rewrite rules")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Also outside the admin (scripts, the default rules): a rule that
        # cannot run is never stored.
        try:
            check_rule(self.pattern, self.replacement)
        except RuleError as exc:
            raise ValidationError({exc.field: translated(exc.message)}) from None
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        try:
            check_rule(self.pattern, self.replacement)
        except RuleError as exc:
            if exc.field == "pattern":
                return  # the pattern's own validator already says why
            raise ValidationError({exc.field: translated(exc.message)}) from None

    def to_rule(self) -> Rule:
        """The plain rule the pure rewrite functions work with."""
        return Rule(name=self.name, pattern=self.pattern, replacement=self.replacement, final=self.final)


class NumberRule(models.Model):
    """Allow or deny a final number to everyone or to some groups; the first match wins, default allow."""

    class Action(models.TextChoices):
        ALLOW = "allow", _("allow")
        DENY = "deny", _("deny")

    position = models.PositiveIntegerField(
        _("position"),
        default=100,
        help_text=_("Rules are tried from the lowest position up; the first that matches decides."),
    )
    pattern = models.CharField(
        _("pattern"),
        max_length=200,
        validators=[validate_no_control_characters, validate_regex],
        help_text=_(r"Regular expression searched in the number as dialed (prefixes included), e.g. ^0089."),
    )
    action = models.CharField(_("action"), max_length=8, choices=Action.choices, default=Action.DENY)
    groups = models.ManyToManyField(
        Group,
        blank=True,
        related_name="number_rules",
        help_text=_("The rule applies to members of these groups only; none: to everyone."),
        verbose_name=_("groups"),
    )
    description = models.CharField(
        _("description"), max_length=200, blank=True, validators=[validate_no_control_characters]
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("number rule")
        verbose_name_plural = _("number rules")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.pattern}"

    def save(self, *args, **kwargs) -> None:
        validate_regex(self.pattern)  # never store a rule that cannot run
        super().save(*args, **kwargs)


class CallLogStatus(models.TextChoices):
    """A call's status in the log and the API (the call statuses of docs/api.md)."""

    QUEUED = "queued"
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    DENIED = "denied"
    UNKNOWN = "unknown"
    MISSED = "missed"  # an incoming call nobody answered on this user's phone

    @property
    def label(self) -> str:
        """The status in words, in the current language ("no answer"; lazy: said when shown)."""
        return _STATUS_LABELS[self.value]


_STATUS_LABELS = {
    "queued": _("queued"),
    "answered": _("answered"),
    "no_answer": _("no answer"),
    "busy": _("busy"),
    "failed": _("failed"),
    "denied": _("denied"),
    "unknown": _("unknown"),
    "missed": _("missed"),
}


class CallDirection(models.TextChoices):
    """Who called: the user (``out``, a click-to-dial call) or someone calling the user's phone (``in``)."""

    OUT = "out", _("outgoing")
    IN = "in", _("incoming")


class Call(models.Model):
    """One dial attempt, written before the PBX is asked and updated with what happened.

    Denied attempts are recorded too (``denied``). Incoming calls
    (``direction`` ``in``) are written by the PBX event listener, one row per
    user whose phone rang, ``answered`` or ``missed``. Read-only in the admin;
    a caller sees their own calls through ``dialer.call_status`` and
    ``dialer.history``.
    """

    call_id = models.UUIDField(_("call id"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("user"),
    )
    # As at the time of the call: the log outlives accounts and phones.
    username = models.CharField(_("username"), max_length=150)
    extension = models.CharField(
        _("extension"), max_length=32, help_text=_("The caller's phone that rang first.")
    )
    channel = models.CharField(_("channel"), max_length=128, blank=True)
    pbx = models.ForeignKey(
        PbxServer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("PBX"),
    )
    direction = models.CharField(
        _("direction"), max_length=3, choices=CallDirection.choices, default=CallDirection.OUT
    )
    text = models.TextField(_("text"), blank=True, help_text=_("What the caller sent, as given."))
    number = models.CharField(
        _("number"),
        max_length=40,
        help_text=_("The number dialed, after rewriting; for an incoming call, the caller's number."),
    )
    name = models.CharField(
        _("name"),
        max_length=120,
        blank=True,
        help_text=_("The other party's name: the phonebook's, else the caller ID the PBX gave."),
    )
    caller_id = models.CharField(
        _("shown on the caller's phone"),
        max_length=120,
        blank=True,
        help_text=_("The caller ID of the first leg."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CallLogStatus.choices,
        default=CallLogStatus.QUEUED,
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reference = models.CharField(
        _("reference"),
        max_length=128,
        blank=True,
        db_index=True,
        help_text=_("The driver's reference for the call."),
    )
    call_key = models.CharField(
        _("PBX call key"),
        max_length=128,
        blank=True,
        db_index=True,
        help_text=_("The PBX's key of the whole call (Asterisk's Linkedid), for incoming calls."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [models.Index(fields=["user", "created"], name="dialer_call_user_created")]

    def __str__(self) -> str:
        if self.direction == CallDirection.IN:
            return f"{self.number} -> {self.username} ({self.status})"
        return f"{self.username} -> {self.number} ({self.status})"
