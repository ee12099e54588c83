"""The PBX page shows its event listener: connected or not, since when, on which host.

``drivers`` imports no app, so its admin knows nothing of listeners: this
module registers the PBX admin again with the listener's columns and
fields added (the same admin otherwise).
"""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from drivers.admin import PbxServerAdmin
from drivers.models import PbxServer
from events.models import ListenerLease


def _lease(pbx: PbxServer) -> ListenerLease | None:
    try:
        found = pbx.listener_lease
    except ListenerLease.DoesNotExist:
        return None
    return found if isinstance(found, ListenerLease) else None


def listener_state(pbx: PbxServer) -> str:
    """In words: connected, not connected (and why), or no listener."""
    lease = _lease(pbx)
    if lease is None or not lease.holder or lease.expires_at < timezone.now():
        return gettext("no listener")
    if lease.connected:
        return gettext("connected")
    if lease.last_error:
        return gettext("not connected: %(error)s") % {"error": lease.last_error}
    return gettext("not connected")


admin.site.unregister(PbxServer)


@admin.register(PbxServer)
class PbxServerWithListenerAdmin(PbxServerAdmin):
    """The PBX admin of drivers/admin.py, with its event listener."""

    list_display = (*PbxServerAdmin.list_display, "listener")  # type: ignore[assignment]
    list_select_related = ("listener_lease",)
    readonly_fields = ("listener", "listener_since", "listener_host")
    fieldsets = (  # type: ignore[assignment]
        *PbxServerAdmin.fieldsets,
        (_("Event listener"), {"fields": ("listener", "listener_since", "listener_host")}),
    )

    @admin.display(description=_("listener"))
    def listener(self, pbx: PbxServer) -> str:
        return listener_state(pbx)

    @admin.display(description=_("connected since"))
    def listener_since(self, pbx: PbxServer) -> str:
        lease = _lease(pbx)
        if lease is None or not lease.connected or lease.connected_since is None:
            return "-"
        return timezone.localtime(lease.connected_since).strftime("%Y-%m-%d %H:%M:%S")

    @admin.display(description=_("listener host"))
    def listener_host(self, pbx: PbxServer) -> str:
        lease = _lease(pbx)
        if lease is None or not lease.holder or lease.expires_at < timezone.now():
            return "-"
        return lease.holder
