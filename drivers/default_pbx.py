"""The PBX servers, read once per process and kept until a PBX changes: the default one, and each by id.

Every dial, every ``accounts.whoami`` and every ``/cid/`` lookup asks for
it: :func:`default_pbx` answers from this process's copy
(:class:`drivers.process_copy.ProcessCopy`); any change of a PBX server
(save, delete, bulk update or delete) sets a new version.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from drivers.models import PbxServer, pbx_servers_changed
from drivers.process_copy import ProcessCopy

# Set anew by any change of any PBX server: whoever keeps a copy of a PBX may compare with it.
VERSION_KEY = "astitray:default-pbx-version"

_default: ProcessCopy[PbxServer | None] = ProcessCopy(VERSION_KEY, PbxServer.objects.default)
# Every PBX server by id (a handful): the same version, set anew by the same changes.
_by_id: ProcessCopy[dict[int, PbxServer]] = ProcessCopy(
    VERSION_KEY, lambda: {pbx.pk: pbx for pbx in PbxServer.objects.all()}
)


def default_pbx() -> PbxServer | None:
    """``PbxServer.objects.default()``, from this process's copy while it is current (read-only: shared)."""
    return _default.get()


def pbx_server(pk: int, version: str | None = None) -> PbxServer | None:
    """The PBX server ``pk`` (None: none), from this process's copy while it is current (read-only).

    ``version``: what the cache holds under :data:`VERSION_KEY`, if the caller has just read it.
    """
    return _by_id.get(version).get(pk)


def connect_signals() -> None:
    """Every change of a PBX server sets a new version (``DriversConfig.ready``)."""
    pbx_servers_changed.connect(_default.changed, sender=PbxServer, dispatch_uid="default_pbx.bulk")
    post_save.connect(_default.changed, sender=PbxServer, dispatch_uid="default_pbx.save")
    post_delete.connect(_default.changed, sender=PbxServer, dispatch_uid="default_pbx.delete")
