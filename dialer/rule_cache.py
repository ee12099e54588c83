"""The enabled rules and the default PBX, read once per process and kept until they change.

Every dial (and every ``dialer.normalize``) needs all the rewrite rules of a
PBX and all the number rules: two queries per call for tables that change a
few times a year. Each process keeps what it read, tagged with a version
kept in Django's cache. Saving, deleting or updating rules in any way
Django sees (admin, list edits, ``QuerySet.update()``, scripts, the default
rules) sets a new version, so every process reads the rules again at its
next call: at once when the cache is shared (Redis), within
:data:`MAX_AGE_S` seconds with a per-process cache.

The default PBX (:func:`default_pbx`, what a phone that names no PBX uses:
every such dial, every ``/cid/`` lookup) is kept the same way; any change
of a PBX server sets a new version too.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import models, transaction

if TYPE_CHECKING:
    from drivers.models import PbxServer

_VERSION_KEY = "astitray:dialer-rules-version"
# The longest a process trusts its copy without seeing a new version (per-process caches).
MAX_AGE_S = 5.0


@dataclass(frozen=True)
class Snapshot:
    """Every enabled rule, by position (then age); number rules with their groups prefetched."""

    version: str
    read_at: float
    rewrite_rules: tuple  # of RewriteRule
    number_rules: tuple  # of NumberRule


_current: Snapshot | None = None
# (version, read_at, PbxServer.objects.default()): a copy of its own, so a rule's reader never reads PBXs.
_default: tuple[str, float, PbxServer | None] | None = None
_lock = threading.Lock()


def _version() -> str:
    version = cache.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(_VERSION_KEY)
    return version or ""  # "" with a dummy cache: never trusted, always read


def rules_changed() -> None:
    """Tell every process to read the rules again (also once the current transaction commits)."""
    cache.set(_VERSION_KEY, uuid.uuid4().hex, timeout=None)
    # A reader between our change and its commit may have kept the old rules under the new version.
    transaction.on_commit(lambda: cache.set(_VERSION_KEY, uuid.uuid4().hex, timeout=None))


def snapshot() -> Snapshot:
    """The rules, from this process's copy while it is current, else from the database."""
    global _current  # noqa: PLW0603  (one copy per process, replaced whole)
    from dialer.models import NumberRule, RewriteRule

    version = _version()
    current = _current
    if current is not None and _is_current(current.version, current.read_at, version):
        return current
    fresh = Snapshot(
        version=version,
        read_at=time.monotonic(),
        rewrite_rules=tuple(RewriteRule.objects.filter(enabled=True).order_by("position", "pk")),
        number_rules=tuple(
            NumberRule.objects.filter(enabled=True).prefetch_related("groups").order_by("position", "pk")
        ),
    )
    with _lock:
        _current = fresh
    return fresh


def default_pbx() -> PbxServer | None:
    """``PbxServer.objects.default()``, from this process's copy while it is current (read-only: shared)."""
    global _default  # noqa: PLW0603  (one copy per process, replaced whole)
    from drivers.models import PbxServer

    version = _version()
    current = _default
    if current is not None and _is_current(current[0], current[1], version):
        return current[2]
    read_at = time.monotonic()
    pbx = PbxServer.objects.default()
    with _lock:
        _default = (version, read_at, pbx)
    return pbx


def _is_current(copy_version: str, read_at: float, version: str) -> bool:
    """Whether a copy read at ``read_at`` under ``copy_version`` may still be used."""
    return bool(version) and copy_version == version and time.monotonic() - read_at < MAX_AGE_S


class RuleQuerySet(models.QuerySet):
    """Bulk updates and deletes of rules also set a new version."""

    def update(self, **kwargs) -> int:
        count = super().update(**kwargs)
        rules_changed()
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        result = super().delete()
        rules_changed()
        return result


def _changed(sender, **kwargs) -> None:
    rules_changed()


def connect_signals() -> None:
    """Every save or delete of a rule, its groups, a group or a PBX sets a new version (AppConfig.ready)."""
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from dialer.models import NumberRule, RewriteRule
    from drivers.models import PbxServer, pbx_servers_changed

    pbx_servers_changed.connect(_changed, sender=PbxServer, dispatch_uid="rule_cache.pbx_bulk")
    for model in (RewriteRule, NumberRule, PbxServer):
        post_save.connect(_changed, sender=model, dispatch_uid=f"rule_cache.save.{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"rule_cache.delete.{model.__name__}")
    m2m_changed.connect(_changed, sender=NumberRule.groups.through, dispatch_uid="rule_cache.groups")
    # Deleting a group removes it from rules without any m2m signal.
    post_delete.connect(_changed, sender=Group, dispatch_uid="rule_cache.group_deleted")
