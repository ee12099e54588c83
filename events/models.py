"""What the PBX event listener writes: the events users receive, and who listens to each PBX.

:class:`UserEvent` rows are what ``events.wait`` hands out (docs/api.md):
their id is the cursor's order, and they are kept an hour (the API
promises at least ten minutes). :class:`ListenerLease` is the one row per
PBX that says which ``manage.py pbx_events`` process listens to it now.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from drivers.models import PbxServer


class EventType(models.TextChoices):
    """The event types of docs/api.md."""

    INCOMING = "incoming"
    ANSWERED = "answered"
    MISSED = "missed"
    CALL = "call"


class UserEvent(models.Model):
    """One event for one user; ``payload`` holds the API's event keys but ``id``.

    Written only by the listener (and ``simulate_call``), always for the
    user whose phone the PBX event was about, never from what a client sent.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    type = models.CharField(_("type"), max_length=16, choices=EventType.choices)
    payload = models.JSONField(_("payload"), default=dict)
    created = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("user event")
        verbose_name_plural = _("user events")
        indexes = [models.Index(fields=["user", "id"], name="events_userevent_user_id")]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"


class ListenerLease(models.Model):
    """Which listener process holds a PBX's event connection, until when, and how it goes.

    ``holder`` is ``host:pid``; another process takes the lease over once
    ``expires_at`` has passed. ``connected``/``connected_since``/``last_error``
    are what the PBX's admin page shows.
    """

    pbx = models.OneToOneField(
        PbxServer, on_delete=models.CASCADE, related_name="listener_lease", verbose_name=_("PBX")
    )
    holder = models.CharField(_("held by"), max_length=200, blank=True)
    expires_at = models.DateTimeField(_("expires at"), default=timezone.now)
    connected = models.BooleanField(_("connected"), default=False)
    connected_since = models.DateTimeField(_("connected since"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("listener lease")
        verbose_name_plural = _("listener leases")

    def __str__(self) -> str:
        return f"{self.pbx_id}: {self.holder or '-'}"
