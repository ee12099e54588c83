"""The phonebook in the admin: contacts with their numbers inline, the phonebook's own search.

Imported contacts are marked and read-only: the next import would overwrite
any change, so they are changed in their source.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from phonebook import search as phonebook_search
from phonebook.models import Contact, PhoneNumber


class PhoneNumberInline(admin.TabularInline):
    model = PhoneNumber
    extra = 1
    fields = ("label", "raw", "e164")
    readonly_fields = ("e164",)

    def _imported(self, obj: Contact | None) -> bool:
        return obj is not None and obj.is_imported

    def has_add_permission(self, request: HttpRequest, obj: Contact | None = None) -> bool:
        return not self._imported(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Contact | None = None) -> bool:
        return not self._imported(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Contact | None = None) -> bool:
        return not self._imported(obj) and super().has_delete_permission(request, obj)


@admin.display(description=_("numbers"))
def numbers(contact: Contact) -> str:
    return ", ".join(number.raw for number in contact.numbers.all()) or "—"


@admin.display(description=_("origin"), ordering="source")
def origin(contact: Contact) -> str:
    if not contact.is_imported:
        return gettext("entered by hand")
    return gettext("imported (%(source)s: %(name)s)") % {
        "source": contact.get_source_display(),
        "name": contact.source_name,
    }


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    inlines = [PhoneNumberInline]
    list_display = ("name", "company", "department", numbers, origin, "updated")
    list_filter = ("source", "source_name")
    search_help_text = _(
        'Starts of words in any order, accents and case ignored ("jea dup"); digits anywhere in a number.'
    )
    search_fields = ("name",)  # shows the search box; the search itself is get_search_results
    fieldsets = (
        (None, {"fields": ("name", "company", "department", "title", "email")}),
        (_("Origin"), {"fields": (origin, "source_key", "updated")}),
    )
    readonly_fields = (origin, "source_key", "updated")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("numbers")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if not search_term.strip():
            return queryset, False
        return queryset.filter(pk__in=phonebook_search.matching(search_term).values("pk")), False

    def get_readonly_fields(self, request: HttpRequest, obj: Contact | None = None):
        if obj is not None and obj.is_imported:
            return ("name", "company", "department", "title", "email", *self.readonly_fields)
        return self.readonly_fields
