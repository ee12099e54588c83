"""The enabled rules, read once per process and kept until they change.

Every dial (and every ``dialer.normalize``) needs all the rewrite rules of a
PBX and all the number rules: two queries per call for tables that change a
few times a year. Each process keeps what it read
(:class:`drivers.process_copy.ProcessCopy`). Saving, deleting or updating
rules in any way Django sees (admin, list edits, ``QuerySet.update()``,
scripts, the default rules) sets a new version, so every process reads the
rules again at its next call: at once when the cache is shared (Redis),
within :data:`MAX_AGE_S` seconds with a per-process cache.

The default PBX is kept the same way, by ``drivers.default_pbx``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from drivers.process_copy import MAX_AGE_S, ProcessCopy

__all__ = ["MAX_AGE_S", "RuleQuerySet", "Snapshot", "connect_signals", "rules_changed", "snapshot"]


@dataclass(frozen=True)
class Snapshot:
    """Every enabled rule, by position (then age); number rules with their groups prefetched."""

    rewrite_rules: tuple  # of RewriteRule
    number_rules: tuple  # of NumberRule


def _read() -> Snapshot:
    from dialer.models import NumberRule, RewriteRule

    return Snapshot(
        rewrite_rules=tuple(RewriteRule.objects.filter(enabled=True).order_by("position", "pk")),
        number_rules=tuple(
            NumberRule.objects.filter(enabled=True).prefetch_related("groups").order_by("position", "pk")
        ),
    )


_rules: ProcessCopy[Snapshot] = ProcessCopy("astitray:dialer-rules-version", _read)


def snapshot() -> Snapshot:
    """The rules, from this process's copy while it is current, else from the database."""
    return _rules.get()


def rules_changed() -> None:
    """Tell every process to read the rules again (also once the current transaction commits)."""
    _rules.changed()


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


def connect_signals() -> None:
    """Every save or delete of a rule, its groups, a group or a PBX sets a new version (AppConfig.ready)."""
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from dialer.models import NumberRule, RewriteRule
    from drivers.models import PbxServer, pbx_servers_changed

    changed = _rules.changed
    # A PBX deleted in bulk takes its rules with it.
    pbx_servers_changed.connect(changed, sender=PbxServer, dispatch_uid="rule_cache.pbx_bulk")
    for model in (RewriteRule, NumberRule, PbxServer):
        post_save.connect(changed, sender=model, dispatch_uid=f"rule_cache.save.{model.__name__}")
        post_delete.connect(changed, sender=model, dispatch_uid=f"rule_cache.delete.{model.__name__}")
    m2m_changed.connect(changed, sender=NumberRule.groups.through, dispatch_uid="rule_cache.groups")
    # Deleting a group removes it from rules without any m2m signal.
    post_delete.connect(changed, sender=Group, dispatch_uid="rule_cache.group_deleted")
