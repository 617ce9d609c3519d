from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import Http404
from django.utils.html import format_html, format_html_join

from groups.feeds import feed_queue
from groups.models import Feed, Meeting, Program
from recovery.admin import PracticeScoped
from recovery.form_fields import LinesField

REPORT_LINES_SHOWN = 200  # a feed with thousands of bad rows needs the command's --json

# A web address typed without a scheme means https, as Django 6 will assume.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class CatalogueAdmin(admin.ModelAdmin):
    """The catalogue is shared by every practice: a practice admin reads it, and only the
    hosting operator (a superuser) changes it or imports feeds. A meeting's conference link is
    where every practice's join links lead, and a feed's source is fetched by the server."""

    formfield_overrides = HTTPS_URLS

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Program)
class ProgramAdmin(CatalogueAdmin):
    list_display = ["key", "name", "is_twelve_step"]


@admin.register(Feed)
class FeedAdmin(PracticeScoped, CatalogueAdmin):
    """A practice admin reads the operator's feeds and their own practice's here (they manage
    theirs on the app's Feeds page); another practice's feeds are not shown."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:  # another practice's feed, or none: a plain 404 as everywhere else
            raise Http404("No such record.")
        return obj

    list_display = [
        "name",
        "practice",
        "format",
        "source",
        "status",
        "last_checked_at",
        "last_import_summary",
    ]
    list_filter = ["practice", "format", "is_paused"]

    def get_list_filter(self, request):
        # The filter would list every practice by name.
        if request.user.is_superuser:
            return self.list_filter
        return [name for name in self.list_filter if name != "practice"]

    fields = [
        "practice",
        "name",
        "format",
        "source",
        "default_program",
        "default_time_zone",
        "is_paused",
        "status",
        "last_checked_at",
        "last_error",
        "last_imported_at",
        "last_report_display",
    ]
    readonly_fields = [
        "status",
        "last_checked_at",
        "last_error",
        "last_imported_at",
        "last_report_display",
    ]
    actions = ["import_now"]

    @admin.action(description="Import now (in a worker)", permissions=["change"])
    def import_now(self, request, queryset):
        # Never in the request: a slow intergroup server would hold a web worker for its whole
        # timeout. The feed's row shows the outcome once the worker is done.
        for feed in queryset:
            if feed_queue(feed):
                self.message_user(request, f"{feed.name}: import queued.", messages.SUCCESS)
            else:
                self.message_user(
                    request, f"{feed.name}: an import is already under way.", messages.WARNING
                )

    @admin.display(description="Last import")
    def last_import_summary(self, feed: Feed) -> str:
        report = feed.last_report or {}
        if not report:
            return "—"
        return (
            f"{report.get('created', 0)} created, {report.get('updated', 0)} updated, "
            f"{report.get('unchanged', 0)} unchanged, {report.get('deactivated', 0)} deactivated, "
            f"{len(report.get('rejected', []))} rejected"
        )

    @admin.display(description="Last report")
    def last_report_display(self, feed: Feed) -> str:
        report = feed.last_report or {}
        if not report:
            return "Not imported yet."
        parts = [format_html("<p>{}.</p>", self.last_import_summary(feed))]
        for title, entries, detail in (
            ("Rejected", report.get("rejected", []), "reason"),
            ("Warnings", report.get("warnings", []), "warning"),
        ):
            if not entries:
                continue
            items = format_html_join(
                "",
                "<li><code>{}</code>: {}</li>",
                ((e.get("key", ""), e.get(detail, "")) for e in entries[:REPORT_LINES_SHOWN]),
            )
            more = len(entries) - REPORT_LINES_SHOWN
            tail = format_html("<li>… and {} more</li>", more) if more > 0 else ""
            parts.append(
                format_html("<p>{} ({}):</p><ul>{}{}</ul>", title, len(entries), items, tail)
            )
        return format_html_join("", "{}", ((part,) for part in parts))


def _https_urls(db_field, **kwargs):
    # A ModelForm builds its fields before the admin's formfield_overrides apply.
    if isinstance(db_field, models.URLField):
        kwargs = {**HTTPS_URLS[models.URLField], **kwargs}
    return db_field.formfield(**kwargs)


class MeetingAdminForm(forms.ModelForm):
    """A meeting's lists as one item per line (or, for type codes, "O, BE, W"), not JSON."""

    types = LinesField(
        required=False,
        commas=True,
        help_text="Meeting Guide type codes (O, BE, W, ...), one per line or separated by commas.",
        item_field=forms.RegexField(
            regex=r"^[A-Za-z0-9-]{1,32}$",
            error_messages={"invalid": "A type is a code such as O, BE or W."},
        ),
    )
    feed_regions = LinesField(
        required=False,
        label="Regions",
        help_text="The feed's regions, most general first, one per line.",
        item_field=forms.CharField(max_length=200),
    )

    class Meta:
        model = Meeting
        # The ModelAdmin chooses which fields show; this form only changes how lists edit.
        fields = "__all__"  # noqa: DJ007
        formfield_callback = _https_urls


@admin.register(Meeting)
class MeetingAdmin(CatalogueAdmin):
    form = MeetingAdminForm
    list_display = ["name", "program", "day", "start_time", "attendance_option", "is_active"]
    list_filter = ["program", "day", "attendance_option", "is_active", "feed"]

    def get_list_filter(self, request):
        # Feeds are named by their practices; the filter would list other practices' feeds.
        if request.user.is_superuser:
            return self.list_filter
        return [name for name in self.list_filter if name != "feed"]

    search_fields = ["name", "location_name", "address", "city", "source_key"]
    list_select_related = ["program"]
