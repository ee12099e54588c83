from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from accounts import tokens
from accounts.forms import SOURCE_HELP, ExtensionForm
from accounts.models import ApiToken, Extension

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


@admin.display(description=_("extension"), ordering="extension__number")
def extension_number(user) -> str:
    extension = getattr(user, "extension", None)
    return extension.number if extension else "—"


admin.site.unregister(User)


@admin.action(description=_("Revoke all API tokens of the selected users"), permissions=["change"])
def revoke_all_tokens(modeladmin, request, queryset) -> None:
    count = sum(tokens.revoke_all(user) for user in queryset)
    modeladmin.message_user(request, _("%(count)d API tokens revoked.") % {"count": count}, messages.SUCCESS)


@admin.register(User)
class AstitrayUserAdmin(UserAdmin):
    inlines = [ExtensionInline]
    actions = [revoke_all_tokens]
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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Every user's API tokens and their last use; revoked by deleting them (never shown nor made here)."""

    list_display = ("label", "user", "created", "last_used", "last_address")
    list_filter = ("created", "last_used")
    search_fields = ("label", "user__username", "user__first_name", "user__last_name", "last_address")
    list_select_related = ("user",)
    fields = ("user", "label", "created", "last_used", "last_address")
    readonly_fields = fields
    date_hierarchy = "created"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
