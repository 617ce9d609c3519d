from django.contrib import admin

from clients.models import (
    Addendum,
    Attendance,
    Client,
    Disclosure,
    LadderMove,
    MeetingPlan,
    NoteTheme,
    OutcomeMeasure,
    Reminder,
    ResistanceTheme,
    SessionNote,
)
from recovery.admin import PracticeScopedAdmin, PracticeScopedTabularInline, ReadOnlyAdmin
from recovery.models import AuditAction
from recovery.services import audit


@admin.register(Client)
class ClientAdmin(PracticeScopedAdmin):
    list_display = ["preferred_name", "primary_therapist", "stage_of_change", "status"]
    list_filter = ["status", "stage_of_change"]
    search_fields = ["preferred_name"]
    list_select_related = ["primary_therapist"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        client = self.get_object(request, object_id)
        if client is not None and request.method == "GET":
            # Reading a client record in the admin is a read like any other.
            audit(action=AuditAction.VIEW, actor=request.user, client=client, request=request)
        return response

    def has_delete_permission(self, request, obj=None):
        # Clinical records have retention duties; erasure is a separate, audited process.
        return False


@admin.register(ResistanceTheme)
class ResistanceThemeAdmin(PracticeScopedAdmin):
    list_display = ["name", "practice", "position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def has_change_permission(self, request, obj=None):
        # The curated taxonomy is shared by every practice: only the operator edits it.
        if obj is not None and obj.practice_id is None and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    has_delete_permission = has_change_permission


class NoteThemeInline(PracticeScopedTabularInline):
    model = NoteTheme
    extra = 0


class AddendumInline(PracticeScopedTabularInline):
    model = Addendum
    extra = 0
    readonly_fields = ["created_at"]


@admin.register(SessionNote)
class SessionNoteAdmin(PracticeScopedAdmin):
    list_display = ["client", "session_date", "format", "author", "status"]
    list_filter = ["status", "format"]
    list_select_related = ["client", "author"]
    inlines = [NoteThemeInline, AddendumInline]
    readonly_fields = ["status", "signed_at", "signed_by", "version", "created_at", "updated_at"]

    def has_change_permission(self, request, obj=None):
        # Signed notes are read-only here too; corrections are addenda.
        if obj is not None and obj.is_signed:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_signed:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(LadderMove)
class LadderMoveAdmin(PracticeScopedAdmin):
    list_display = ["client", "step", "reached_on", "recorded_by"]
    list_select_related = ["client", "recorded_by"]


@admin.register(MeetingPlan)
class MeetingPlanAdmin(PracticeScopedAdmin):
    list_display = ["client", "meeting", "recurrence", "starts_on", "until", "cancelled_at"]
    list_select_related = ["client", "meeting"]
    raw_id_fields = ["meeting"]


@admin.register(Attendance)
class AttendanceAdmin(PracticeScopedAdmin):
    list_display = ["plan", "occurrence_start", "status", "reported_by", "reported_at"]
    list_filter = ["status", "reported_by"]
    list_select_related = ["plan__client", "plan__meeting"]


@admin.register(Reminder)
class ReminderAdmin(PracticeScopedAdmin):
    list_display = ["plan", "kind", "due_at", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["plan__client", "plan__meeting"]


@admin.register(OutcomeMeasure)
class OutcomeMeasureAdmin(PracticeScopedAdmin):
    list_display = ["client", "instrument", "administered_on", "score"]
    list_filter = ["instrument"]
    list_select_related = ["client"]


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    """The accounting of disclosures, to read: each row is written by an export, never here."""

    list_display = ["client", "made_at", "made_by", "format"]
    list_select_related = ["client", "made_by"]
    date_hierarchy = "made_at"
