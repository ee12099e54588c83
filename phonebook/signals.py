"""A contact's search digits follow its numbers, whatever saves or deletes one.

The admin, a shell, a script or a future API may add, change, move or
delete a :class:`~phonebook.models.PhoneNumber` through the ORM (``save``,
``delete``, ``QuerySet.delete``, a cascade): each path ends in one of these
signals, which recompute the owning contact's ``search_digits`` (the
database's search index follows through its own triggers). The importers
write numbers with plain SQL and keep the field themselves.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from phonebook.models import Contact, PhoneNumber


def refresh(contact_id: int | None) -> None:
    """Recompute the search digits of that contact from its numbers in the database (if it exists)."""
    if contact_id is not None:
        Contact(pk=contact_id).refresh_search_digits(save=True)


@receiver(pre_save, sender=PhoneNumber, dispatch_uid="phonebook.number.previous_contact")
def _remember_previous_contact(sender: type[PhoneNumber], instance: PhoneNumber, **kwargs: Any) -> None:
    """A number moved to another contact leaves the first one's digits too."""
    previous = None
    if instance.pk is not None and not kwargs.get("raw"):
        previous = PhoneNumber.objects.filter(pk=instance.pk).values_list("contact_id", flat=True).first()
    instance._previous_contact_id = previous


@receiver(post_save, sender=PhoneNumber, dispatch_uid="phonebook.number.saved")
def _number_saved(sender: type[PhoneNumber], instance: PhoneNumber, **kwargs: Any) -> None:
    refresh(instance.contact_id)
    previous = getattr(instance, "_previous_contact_id", None)
    if previous != instance.contact_id:
        refresh(previous)


@receiver(post_delete, sender=PhoneNumber, dispatch_uid="phonebook.number.deleted")
def _number_deleted(sender: type[PhoneNumber], instance: PhoneNumber, **kwargs: Any) -> None:
    refresh(instance.contact_id)
