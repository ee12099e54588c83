"""The call log in the admin: read-only, searchable, filtered, exported as CSV."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import UTC

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.urls import URLPattern, path
from django.utils import timezone

from dialer import admin_stats
from dialer.models import Call

CSV_COLUMNS = (
    ("created", "created (UTC)"),
    ("updated", "updated (UTC)"),
    ("call_id", "call id"),
    ("username", "user"),
    ("extension", "extension"),
    ("channel", "channel"),
    ("pbx", "PBX"),
    ("text", "text as given"),
    ("number", "number dialed"),
    ("caller_id", "shown on the caller's phone"),
    ("status", "status"),
    ("reason", "reason"),
    ("direction", "direction"),
    ("name", "name"),
)

_PLAIN_NUMBER = re.compile(r"\+?[0-9*#]+")


def csv_cell(value: object) -> str:
    """``value`` as text a spreadsheet will not run: a formula-like cell gets a leading quote.

    Dialed numbers such as ``+442079460958`` stay as they are.
    """
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write() returns what it was given (for streaming CSV)."""

    def write(self, value: str) -> str:
        return value


def csv_rows(calls) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([label for _, label in CSV_COLUMNS])
    for call in calls.iterator(chunk_size=2000):
        values = {
            "created": call.created.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "updated": call.updated.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "pbx": call.pbx.name if call.pbx else "",
        }
        yield writer.writerow([csv_cell(values.get(name, getattr(call, name))) for name, _ in CSV_COLUMNS])


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = (
        "created",
        "direction",
        "username",
        "extension",
        "number",
        "name",
        "status",
        "reason",
        "pbx",
    )
    list_filter = ("direction", "status", "pbx", "created")
    list_select_related = ("pbx",)
    search_fields = (
        *("username", "user__username", "user__first_name", "user__last_name", "number", "text", "name"),
    )
    search_help_text = "User name, number dialed or calling, the other party's name or the text as given."
    date_hierarchy = "created"
    ordering = ("-created", "-pk")
    show_full_result_count = False  # counting a long call log on every page is slow
    fields = (
        "call_id", "created", "updated", "direction", "user", "username", "extension", "channel", "pbx",
        "text", "number", "name", "caller_id", "status", "reason", "reference", "call_key",
    )  # fmt: skip
    readonly_fields = fields

    # The log is written by the dial service only: nobody adds, edits or deletes calls here.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Call | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Call | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        own = [
            path("export/", self.admin_site.admin_view(self.export_view), name="dialer_call_export"),
            path("stats/", self.admin_site.admin_view(self.stats_view), name="dialer_call_stats"),
        ]
        return own + super().get_urls()

    def stats_view(self, request: HttpRequest) -> HttpResponse:
        """The "Call statistics" page (dialer.admin_stats)."""
        return admin_stats.stats_view(self, request)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """Every call the change list shows with the same search and filters, as CSV (UTF-8)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            calls = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("Unknown filter.", content_type="text/plain")
        response = StreamingHttpResponse(csv_rows(calls), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="astitray-calls-{stamp}.csv"'
        return response
