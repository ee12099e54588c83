from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from drivers import registry, services
from drivers.models import PbxServer
from drivers.validators import validate_no_control_characters


class PbxServerForm(forms.ModelForm):
    """The secret is write-only: never sent back to the browser, kept when left empty."""

    driver = forms.ChoiceField()
    secret = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        validators=[validate_no_control_characters],
        label=_("Secret"),
        help_text=_("Leave empty to keep the current secret."),
    )
    clear_secret = forms.BooleanField(
        label=_("Clear secret"), required=False, help_text=_("Remove the stored secret.")
    )

    class Meta:
        model = PbxServer
        fields = "__all__"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        names = registry.driver_paths(settings.ASTITRAY_DRIVERS)
        self.fields["driver"].choices = [(name, name) for name in sorted(names)]
        if self.instance.pk and self.instance.secret:
            self.fields["secret"].help_text = _("A secret is stored. Leave empty to keep it.")

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("clear_secret"):
            cleaned["secret"] = ""
        elif not cleaned.get("secret") and self.instance.pk:
            cleaned["secret"] = PbxServer.objects.get(pk=self.instance.pk).secret
        return cleaned


@admin.register(PbxServer)
class PbxServerAdmin(admin.ModelAdmin):
    form = PbxServerForm
    list_display = ("name", "driver", "host", "port", "context", "country", "is_default", "enabled")
    list_filter = ("driver", "enabled", "is_default", "country")
    search_fields = ("name", "host", "context")
    actions = ["test_connection"]
    fieldsets = (
        (None, {"fields": ("name", "driver", "enabled", "is_default")}),
        (
            _("Connection"),
            {
                "fields": (
                    "host",
                    "port",
                    "use_tls",
                    "url_prefix",
                    "username",
                    "secret",
                    "clear_secret",
                    "timeout_s",
                )
            },
        ),
        (_("Calls"), {"fields": ("context", "ring_timeout_s")}),
        (
            _("Dial plan"),
            {
                "fields": (
                    "country",
                    "outside_prefix",
                    "international_prefix",
                    "national_prefix",
                    "internal_pattern",
                )
            },
        ),
    )

    @admin.action(description=_("Test connection"))
    def test_connection(self, request: HttpRequest, queryset: QuerySet[PbxServer]) -> None:
        for pbx in queryset:
            result = services.check_connection(pbx)
            level = messages.SUCCESS if result.ok else messages.ERROR
            verdict = gettext("OK") if result.ok else gettext("problem")
            self.message_user(
                request,
                gettext("%(pbx)s: %(verdict)s. %(headline)s. %(summary)s")
                % {
                    "pbx": pbx.name,
                    "verdict": verdict,
                    "headline": result.headline(),
                    "summary": result.summary(),
                },
                level,
            )
