from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts.forms import SOURCE_HELP, ExtensionForm
from accounts.models import Extension

User = get_user_model()


class ExtensionInline(admin.StackedInline):
    model = Extension
    form = ExtensionForm
    can_delete = True
    extra = 0
    max_num = 1
    fieldsets = [
        (
            None,
            {
                "fields": (
                    "number", "channel", "pbx", "caller_id", "account_code", "auto_answer", "enabled",
                    "source",
                ),
                "description": SOURCE_HELP,
            },
        )
    ]  # fmt: skip
    readonly_fields = ("source",)


@admin.display(description="extension", ordering="extension__number")
def extension_number(user) -> str:
    extension = getattr(user, "extension", None)
    return extension.number if extension else "—"


admin.site.unregister(User)


@admin.register(User)
class AstitrayUserAdmin(UserAdmin):
    inlines = [ExtensionInline]
    list_display = ("username", "first_name", "last_name", "email", extension_number, "is_active", "is_staff")
    list_select_related = ("extension",)
    search_fields = ("username", "first_name", "last_name", "email", "extension__number")


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ("number", "user", "channel", "pbx", "source", "auto_answer", "enabled")
    list_filter = ("enabled", "source", "pbx", "auto_answer")
    search_fields = ("number", "channel", "user__username", "user__first_name", "user__last_name")
    list_select_related = ("user", "pbx")
    autocomplete_fields = ("user",)
    form = ExtensionForm
    fieldsets = [
        (
            None,
            {
                "fields": (
                    "user", "number", "channel", "pbx", "caller_id", "account_code", "auto_answer", "enabled",
                    "source",
                ),
                "description": SOURCE_HELP,
            },
        )
    ]  # fmt: skip
    readonly_fields = ("source",)
