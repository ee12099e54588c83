"""Admin of rewrite and number rules, the "try a number" page and the default rules of a country."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from dialer import (
    admin_calls,  # noqa: F401  (registers the call log's admin)
    policy,
)
from dialer.defaults import COUNTRIES, install_default_rules
from dialer.models import NumberRule, RewriteRule
from dialer.phrases import translated
from dialer.rewrite import RewriteError
from drivers.models import PbxServer
from drivers.validators import validate_dial_prefix


class TryNumberForm(forms.Form):
    text = forms.CharField(
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        label=_("Text"),
        help_text=_("Anything holding a number: +44 (0)20 7946 0958, a tel: link, an e-mail signature."),
    )
    pbx = forms.ModelChoiceField(
        PbxServer.objects.all(),
        required=False,
        label=_("PBX"),
        empty_label=_("the user's PBX, else the default PBX"),
    )
    username = forms.CharField(
        required=False,
        max_length=150,
        label=_("As user"),
        help_text=_("Whose PBX and groups count for the number rules. Empty: rules without groups only."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The rewrite code itself refuses NUL and other control characters,
        # with the same message as the API: nothing is checked differently here.
        self.fields["text"].validators = []
        self.user = None

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if username:
            model = get_user_model()
            try:
                self.user = model._default_manager.get_by_natural_key(username)
            except model.DoesNotExist:
                raise forms.ValidationError(_("No user with that username.")) from None
        return username


class DefaultRulesForm(forms.Form):
    country = forms.ChoiceField(label=_("Country"), choices=[(code, code) for code in COUNTRIES])
    pbx = forms.ModelChoiceField(
        PbxServer.objects.all(),
        required=False,
        label=_("PBX"),
        empty_label=_("every PBX"),
        help_text=_("The rules are this PBX's, built with its prefixes."),
    )
    outside_prefix = forms.CharField(
        label=_("Outside-line prefix"),
        required=False,
        max_length=8,
        validators=[validate_dial_prefix],
        help_text=_("For rules of every PBX: the outside-line prefix (e.g. 0 or 9; empty if none)."),
    )
    international_prefix = forms.CharField(
        label=_("International prefix"),
        max_length=8,
        initial="00",
        validators=[validate_dial_prefix],
        help_text=_("For rules of every PBX."),
    )


def _installed_message(country: str, report) -> str:
    """What the admin is told once a country's default rules are added."""
    message = ngettext(
        "%(country)s default rules: %(count)d added",
        "%(country)s default rules: %(count)d added",
        len(report.created),
    ) % {"country": country, "count": len(report.created)}
    if report.skipped:
        message += ngettext(", %(count)d already there", ", %(count)d already there", len(report.skipped)) % {
            "count": len(report.skipped)
        }
    return message + "."


@admin.register(RewriteRule)
class RewriteRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "pbx_label", "pattern", "replacement", "final", "enabled")
    list_display_links = ("name",)
    list_editable = ("position", "final", "enabled")
    list_filter = ("enabled", "final", "pbx")
    list_select_related = ("pbx",)
    search_fields = ("name", "pattern", "replacement")
    ordering = ("position", "pk")
    fields = ("name", "pbx", "position", "pattern", "replacement", "final", "enabled")

    @admin.display(description=_("PBX"), ordering="pbx__name")
    def pbx_label(self, rule: RewriteRule) -> str:
        return rule.pbx.name if rule.pbx else gettext("every PBX")

    def get_urls(self) -> list[URLPattern]:
        own = [
            path("try/", self.admin_site.admin_view(self.try_number_view), name="dialer_rewriterule_try"),
            path(
                "defaults/",
                self.admin_site.admin_view(self.default_rules_view),
                name="dialer_rewriterule_defaults",
            ),
        ]
        return own + super().get_urls()

    def try_number_view(self, request: HttpRequest) -> HttpResponse:
        """Every step of the rewriting of a text, through the code path of ``dialer.normalize``."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context: dict = {}
        if request.method == "POST":
            form = TryNumberForm(request.POST)
            if form.is_valid():
                context.update(self._try(form.cleaned_data["text"], form.cleaned_data["pbx"], form.user))
        else:
            form = TryNumberForm(initial={"pbx": request.GET.get("pbx") or None})
        context.update(
            self.admin_site.each_context(request),
            opts=self.opts,
            title=gettext("Try a number"),
            form=form,
        )
        return TemplateResponse(request, "admin/dialer/try_number.html", context)

    @staticmethod
    def _try(text: str, pbx: PbxServer | None, user) -> dict:
        pbx = pbx or policy.pbx_of(user)
        plan = policy.dial_plan_of(pbx)
        context: dict = {"tried": True, "pbx": pbx, "plan": plan}
        try:
            context["answer"] = policy.answer(pbx, text, user)
        except RewriteError as exc:
            context["error"] = translated(exc.message)
            context["steps"] = [step.as_dict() for step in exc.steps]
            return context
        context["steps"] = context["answer"]["steps"]
        context["decision"] = translated(policy.check_number(user, context["answer"]["number"]).reason)
        context["as_user"] = user
        return context

    def default_rules_view(self, request: HttpRequest) -> HttpResponse:
        """Add a country's default rewrite and number rules."""
        if not (self.has_add_permission(request) and request.user.has_perm("dialer.add_numberrule")):
            raise PermissionDenied
        if request.method == "POST":
            form = DefaultRulesForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    report = install_default_rules(
                        data["country"],
                        pbx=data["pbx"],
                        outside_prefix=data["outside_prefix"],
                        international_prefix=data["international_prefix"],
                    )
                except ValueError as exc:
                    form.add_error(None, str(exc))
                else:
                    self.message_user(request, _installed_message(data["country"], report), messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:dialer_rewriterule_changelist"))
        else:
            form = DefaultRulesForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Add the default rules of a country"),
            "form": form,
        }
        return TemplateResponse(request, "admin/dialer/default_rules.html", context)


@admin.register(NumberRule)
class NumberRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "pattern", "action", "groups_label", "description", "enabled")
    list_display_links = ("pattern",)
    list_editable = ("position", "action", "enabled")
    list_filter = ("action", "enabled", "groups")
    search_fields = ("pattern", "description")
    ordering = ("position", "pk")
    filter_horizontal = ("groups",)
    fields = ("position", "pattern", "action", "groups", "description", "enabled")

    @admin.display(description=_("groups"))
    def groups_label(self, rule: NumberRule) -> str:
        return ", ".join(group.name for group in rule.groups.all()) or gettext("everyone")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("groups")
