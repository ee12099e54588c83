"""Contacts and their phone numbers: entered by hand in the admin, or imported."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from phonebook.numbers import search_digits, to_e164
from phonebook.text import clean, digits_of, fold

SORT_NAME_LENGTH = 255


class Contact(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", _("entered by hand")
        LDAP = "ldap", _("LDAP directory")
        SQL = "sql", _("SQL database")
        FILE = "file", _("vCard or CSV file")

    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    department = models.CharField(_("department"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.MANUAL, editable=False
    )
    source_name = models.CharField(
        _("source name"),
        max_length=100,
        blank=True,
        editable=False,
        help_text=_("Which import brought this contact (--source-name); empty for contacts entered by hand."),
    )
    source_key = models.TextField(
        _("source key"),
        blank=True,
        editable=False,
        help_text=_("What identifies it in its source: entryUUID, DN, row key, UID."),
    )
    # sha256 of source_key: the unique key within the source (NULL for contacts entered by hand,
    # so that they never collide). A hash keeps the index small and case-exact on every engine.
    source_hash = models.CharField(_("source hash"), max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    # sha256 of the imported data: an import that brings the same data changes nothing.
    fingerprint = models.CharField(_("fingerprint"), max_length=64, blank=True, editable=False)
    # Folded copies for searching (phonebook.text.fold): kept by save() and by the importers.
    sort_name = models.CharField(_("sort name"), max_length=SORT_NAME_LENGTH, editable=False, default="")
    search_org = models.TextField(_("search org"), blank=True, editable=False, default="")
    search_digits = models.TextField(_("search digits"), blank=True, editable=False, default="")
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["sort_name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["sort_name", "id"], name="phonebook_contact_sort_name")]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_name", "source_hash"], name="phonebook_contact_unique_source_key"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.refresh_search_fields()
        if self.pk is not None:
            # Never write back digits read before a number changed (a shell's stale object).
            self.refresh_search_digits(save=False)
        super().save(*args, **kwargs)

    @property
    def is_imported(self) -> bool:
        return self.source != self.Source.MANUAL

    def refresh_search_fields(self) -> None:
        """Recompute the folded name and organisation from the fields."""
        self.sort_name = fold(self.name)[:SORT_NAME_LENGTH]
        self.search_org = fold(f"{self.company} {self.department}")

    def refresh_search_digits(self, save: bool = True) -> None:
        """Recompute ``search_digits`` from the contact's numbers in the database (and store it).

        Called by the signals of :mod:`phonebook.signals` whenever a number is
        saved or deleted through the ORM, and by :meth:`save`.
        """
        numbers = PhoneNumber.objects.filter(contact_id=self.pk).order_by("id").values_list("raw", "e164")
        self.search_digits = join_search_digits(numbers)
        if save:
            Contact.objects.filter(pk=self.pk).update(search_digits=self.search_digits)


def join_search_digits(numbers) -> str:
    """The ``search_digits`` of a contact with these ``(raw, e164)`` numbers."""
    seen: dict[str, None] = {}
    for raw, e164 in numbers:
        for value in search_digits(raw, e164):
            seen[value] = None
    return " ".join(seen)


class PhoneNumber(models.Model):
    class Label(models.TextChoices):
        WORK = "work", _("work")
        MOBILE = "mobile", _("mobile")
        HOME = "home", _("home")
        FAX = "fax", _("fax")
        OTHER = "other", _("other")

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="numbers", verbose_name=_("contact")
    )
    label = models.CharField(_("label"), max_length=8, choices=Label.choices, default=Label.WORK)
    raw = models.CharField(
        _("number"), max_length=64, help_text=_("As written: +44 20 7946 0958, 01 42 68 53 00")
    )
    e164 = models.CharField(
        _("E.164"),
        max_length=20,
        blank=True,
        db_index=True,
        editable=False,
        help_text=_("Empty: not a valid number"),
    )
    digits = models.CharField(_("digits"), max_length=64, blank=True, db_index=True, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")

    def __str__(self) -> str:
        return f"{self.label}: {self.raw}"

    def save(self, *args, **kwargs) -> None:
        self.normalize()
        super().save(*args, **kwargs)

    def normalize(self, country: str | None = None) -> None:
        """Fill ``e164`` and ``digits`` from ``raw`` (``country``: default ASTITRAY_DEFAULT_COUNTRY)."""
        self.raw = clean(self.raw)
        self.e164 = to_e164(self.raw, country or settings.ASTITRAY_DEFAULT_COUNTRY)
        self.digits = digits_of(self.raw)[:64]
