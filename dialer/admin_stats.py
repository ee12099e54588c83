"""The admin's "Call statistics" page: the last 30 days of the call log in three charts and their tables."""

from __future__ import annotations

from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.formats import date_format, number_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dialer import charts, stats

DAYS = 30
TOP = 10


def group_labels() -> dict[str, str]:
    """What each status group of the daily chart is called, in the page's language."""
    return {
        "answered": _("answered"),
        "no_answer": _("no answer"),
        "busy": _("busy"),
        "failed": _("failed"),
        "denied": _("denied"),
        "other": _("unknown or still ringing"),
    }


def daily_chart(days: list[stats.Day]) -> str:
    labels = group_labels()
    columns = []
    for index, day in enumerate(days):
        name = date_format(day.day, "j M")
        # A label under every fifth column (and the first): thirty would overlap.
        columns.append(charts.Column(day.day.isoformat(), name if index % 5 == 0 else "", name))
    series = [
        charts.Series(group, labels[group], [day.counts[group] for day in days]) for group in stats.GROUPS
    ]
    return charts.stacked_columns(_("Calls per day, by status"), columns, series)


def callers_chart(callers: list[stats.Caller]) -> str:
    bars = [
        charts.Bar(
            label=f"{caller.name} ({caller.username})" if caller.name else caller.username,
            value=caller.calls,
            text=ngettext("%(count)s call", "%(count)s calls", caller.calls) % {"count": caller.calls},
            tooltip=_("%(calls)s calls, %(answered)s answered")
            % {"calls": caller.calls, "answered": caller.answered},
        )
        for caller in callers
    ]
    return charts.horizontal_bars(_("Top callers"), bars, charts.COLOURS["answered"])


def failing_chart(pbxs: list[stats.PbxFailures]) -> str:
    bars = [
        charts.Bar(
            label=pbx.name,
            value=pbx.share,
            text=_("%(share)s %% (%(failed)s of %(sent)s)")
            % {"share": number_format(pbx.share * 100, 1), "failed": pbx.failed, "sent": pbx.sent},
            tooltip=_("%(failed)s of %(sent)s calls failed") % {"failed": pbx.failed, "sent": pbx.sent},
        )
        for pbx in pbxs
    ]
    return charts.horizontal_bars(
        _("Share of calls that failed, per PBX"), bars, charts.COLOURS["failed"], 1.0
    )


def stats_view(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    """The page (for whoever may view the call log)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    days = stats.calls_per_day(DAYS)
    callers = stats.top_callers(DAYS, TOP)
    pbxs = stats.failing_per_pbx(DAYS)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Call statistics"),
        "days": days,
        "first_day": days[0].day,
        "last_day": days[-1].day,
        "total": sum(day.total for day in days),
        "groups": [(key, group_labels()[key]) for key in stats.GROUPS],
        "callers": callers,
        "pbxs": pbxs,
        # The SVGs are built from escaped text only (dialer.charts).
        "daily_svg": mark_safe(daily_chart(days)),  # noqa: S308
        "callers_svg": mark_safe(callers_chart(callers)) if callers else "",  # noqa: S308
        "failing_svg": mark_safe(failing_chart(pbxs)) if pbxs else "",  # noqa: S308
    }
    return TemplateResponse(request, "admin/dialer/call/stats.html", context)
