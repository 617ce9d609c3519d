from django import forms
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
    Substance,
)
from groups.features import validate_feature_token
from groups.models import Weekday
from recovery.admin import (
    PracticeScopedAdmin,
    PracticeScopedTabularInline,
    ReadOnly,
    ReadOnlyAdmin,
)
from recovery.form_fields import LinesField
from recovery.models import AuditAction
from recovery.services import audit


class ClinicalRecordAdmin(ReadOnlyAdmin):
    """Clinical rows, to read. They change only through the application's pages, whose
    services enforce every rule (a restricted record stays closed, a signed note as signed,
    consent is the client's own) and audit each change; an admin form would bypass both.
    Opening a row here is audited as a read of its client's record."""

    # The lookup from the row to its client ("" for a client itself).
    client_path = "client"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            client = self.get_object(request, object_id)
            for name in filter(None, self.client_path.split("__")):
                client = getattr(client, name)
            audit(action=AuditAction.VIEW, actor=request.user, client=client, request=request)
        return response


class ClinicalRecordInline(ReadOnly, PracticeScopedTabularInline):
    extra = 0


@admin.register(Client)
class ClientAdmin(ClinicalRecordAdmin):
    client_path = ""
    list_display = ["preferred_name", "primary_therapist", "stage_of_change", "status"]
    list_filter = ["status", "stage_of_change"]
    search_fields = ["preferred_name"]
    list_select_related = ["primary_therapist"]
    # The record is read-only here, so its lists need words, not a form field: the raw
    # fields would show JSON ('["alcohol"]', '[1, 3]'). Each takes its field's place.
    LISTS_IN_WORDS = {"substances": "substances_in_words", "available_days": "days_in_words"}
    readonly_fields = list(LISTS_IN_WORDS.values())

    def get_fields(self, request, obj=None):
        shown = self.LISTS_IN_WORDS
        fields = super().get_fields(request, obj)
        return [shown.get(name, name) for name in fields if name not in shown.values()]

    @admin.display(description="Substances")
    def substances_in_words(self, client: Client) -> str:
        labels = dict(Substance.choices)
        return ", ".join(labels.get(code, code) for code in client.substances) or "—"

    @admin.display(description="Available days")
    def days_in_words(self, client: Client) -> str:
        labels = dict(Weekday.choices)
        return ", ".join(labels.get(day, str(day)) for day in client.available_days) or "Any day"


class ResistanceThemeForm(forms.ModelForm):
    """The theme's lists as one item per line, not as JSON to type by hand."""

    questions = LinesField(
        help_text="Questions a therapist might explore, one per line.",
        item_field=forms.CharField(max_length=500),
    )
    reframes = LinesField(
        help_text="Reframes a therapist might offer, one per line.",
        item_field=forms.CharField(max_length=500),
    )
    meeting_features = LinesField(
        required=False,
        commas=True,
        help_text=(
            "Meeting features that may lower this barrier, one per line: attendance:online, "
            "type:BE (a meeting type code), program:SMART or program:secular."
        ),
        item_field=forms.CharField(max_length=64, validators=[validate_feature_token]),
    )

    class Meta:
        model = ResistanceTheme
        # The ModelAdmin chooses which fields show; this form only changes how lists edit.
        fields = "__all__"  # noqa: DJ007


@admin.register(ResistanceTheme)
class ResistanceThemeAdmin(PracticeScopedAdmin):
    form = ResistanceThemeForm
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


class NoteThemeInline(ClinicalRecordInline):
    model = NoteTheme


class AddendumInline(ClinicalRecordInline):
    model = Addendum


@admin.register(SessionNote)
class SessionNoteAdmin(ClinicalRecordAdmin):
    list_display = ["client", "session_date", "format", "author", "status"]
    list_filter = ["status", "format"]
    list_select_related = ["client", "author"]
    inlines = [NoteThemeInline, AddendumInline]


@admin.register(LadderMove)
class LadderMoveAdmin(ClinicalRecordAdmin):
    list_display = ["client", "step", "reached_on", "recorded_by"]
    list_select_related = ["client", "recorded_by"]


@admin.register(MeetingPlan)
class MeetingPlanAdmin(ClinicalRecordAdmin):
    list_display = ["client", "meeting", "recurrence", "starts_on", "until", "cancelled_at"]
    list_select_related = ["client", "meeting"]


@admin.register(Attendance)
class AttendanceAdmin(ClinicalRecordAdmin):
    client_path = "plan__client"
    list_display = ["plan", "occurrence_start", "status", "reported_by", "reported_at"]
    list_filter = ["status", "reported_by"]
    list_select_related = ["plan__client", "plan__meeting"]


@admin.register(Reminder)
class ReminderAdmin(ClinicalRecordAdmin):
    client_path = "plan__client"
    list_display = ["plan", "kind", "due_at", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["plan__client", "plan__meeting"]


@admin.register(OutcomeMeasure)
class OutcomeMeasureAdmin(ClinicalRecordAdmin):
    """Read-only like the other clinical rows: measures are entered on the client's page or by
    the client from a link, and scored by clients.outcomes, never typed in here."""

    list_display = ["client", "instrument", "administered_on", "total", "band", "source"]
    list_filter = ["instrument", "source"]
    list_select_related = ["client"]
    exclude = ["responses"]  # the answers are the therapist's to read, on the client's page


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    """The accounting of disclosures, to read: each row is written by an export, never here."""

    list_display = ["client", "made_at", "made_by", "format"]
    list_select_related = ["client", "made_by"]
    exclude = ["printed_copy"]  # the page itself is its maker's, for an hour
    date_hierarchy = "made_at"
