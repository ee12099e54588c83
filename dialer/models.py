"""What admins configure about numbers (rewrite rules per PBX, who may call what) and the call log."""

from __future__ import annotations

import enum
import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models

from dialer.rewrite import Rule, RuleError, check_rule
from dialer.rule_cache import RuleQuerySet
from drivers.models import PbxServer
from drivers.validators import validate_no_control_characters, validate_regex


class RewriteRule(models.Model):
    """A regex substitution applied to the number after the dial plan (DESIGN.md, step 4)."""

    pbx = models.ForeignKey(
        PbxServer,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rewrite_rules",
        verbose_name="PBX",
        help_text="Empty: the rule applies to every PBX.",
    )
    position = models.PositiveIntegerField(default=100, help_text="Rules run from the lowest position up.")
    name = models.CharField(
        max_length=80,
        validators=[validate_no_control_characters],
        help_text="Shown as the step's name in \u201ctry a number\u201d and in the API.",
    )
    pattern = models.CharField(
        max_length=200,
        validators=[validate_no_control_characters, validate_regex],
        help_text=r"Regular expression searched in the number, e.g. ^(3\d{3})$.",
    )
    replacement = models.CharField(
        max_length=64,
        blank=True,
        help_text=r"Digits, *, #, + and group references (\1, \g<name>), e.g. 0\1.",
    )
    final = models.BooleanField(
        default=False, help_text="When this rule matches, the later rules are skipped."
    )
    enabled = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "rewrite rule"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Also outside the admin (scripts, the default rules): a rule that
        # cannot run is never stored.
        try:
            check_rule(self.pattern, self.replacement)
        except RuleError as exc:
            raise ValidationError({exc.field: str(exc)}) from None
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        try:
            check_rule(self.pattern, self.replacement)
        except RuleError as exc:
            if exc.field == "pattern":
                return  # the pattern's own validator already says why
            raise ValidationError({exc.field: str(exc)}) from None

    def to_rule(self) -> Rule:
        """The plain rule the pure rewrite functions work with."""
        return Rule(name=self.name, pattern=self.pattern, replacement=self.replacement, final=self.final)


class NumberRule(models.Model):
    """Allow or deny a final number to everyone or to some groups; the first match wins, default allow."""

    class Action(models.TextChoices):
        ALLOW = "allow", "allow"
        DENY = "deny", "deny"

    position = models.PositiveIntegerField(
        default=100, help_text="Rules are tried from the lowest position up; the first that matches decides."
    )
    pattern = models.CharField(
        max_length=200,
        validators=[validate_no_control_characters, validate_regex],
        help_text=r"Regular expression searched in the number as dialed (prefixes included), e.g. ^0089.",
    )
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.DENY)
    groups = models.ManyToManyField(
        Group,
        blank=True,
        related_name="number_rules",
        help_text="The rule applies to members of these groups only; none: to everyone.",
    )
    description = models.CharField(max_length=200, blank=True, validators=[validate_no_control_characters])
    enabled = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "number rule"

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.pattern}"

    def save(self, *args, **kwargs) -> None:
        validate_regex(self.pattern)  # never store a rule that cannot run
        super().save(*args, **kwargs)


class CallLogStatus(enum.StrEnum):
    """A call's status in the log and the API (API.md, "Call statuses")."""

    QUEUED = "queued"
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    DENIED = "denied"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Call(models.Model):
    """One dial attempt, written before the PBX is asked and updated with what happened.

    Denied attempts are recorded too (``denied``). Read-only in the admin;
    a caller sees their own calls through ``dialer.call_status`` and
    ``dialer.history``.
    """

    Status = CallLogStatus

    call_id = models.UUIDField("call id", default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="calls"
    )
    # As at the time of the call: the log outlives accounts and phones.
    username = models.CharField(max_length=150)
    extension = models.CharField(max_length=32, help_text="The caller's phone that rang first.")
    channel = models.CharField(max_length=128, blank=True)
    pbx = models.ForeignKey(
        PbxServer, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls", verbose_name="PBX"
    )
    text = models.TextField(blank=True, help_text="What the caller sent, as given.")
    number = models.CharField(max_length=40, help_text="The number dialed, after rewriting.")
    caller_id = models.CharField(
        "shown on the caller's phone", max_length=120, blank=True, help_text="The caller ID of the first leg."
    )
    status = models.CharField(
        max_length=16, choices=[(s.value, s.label) for s in CallLogStatus], default=CallLogStatus.QUEUED.value
    )
    reason = models.CharField(max_length=200, blank=True)
    reference = models.CharField(
        max_length=128, blank=True, db_index=True, help_text="The driver's reference for the call."
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["user", "created"], name="dialer_call_user_created")]

    def __str__(self) -> str:
        return f"{self.username} -> {self.number} ({self.status})"
