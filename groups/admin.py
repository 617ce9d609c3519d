from django.contrib import admin

from groups.models import Feed, Meeting, Program


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "is_twelve_step"]


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    list_display = ["name", "format", "source", "last_imported_at"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["name", "program", "day", "start_time", "attendance_option", "is_active"]
    list_filter = ["program", "day", "attendance_option", "is_active"]
    search_fields = ["name", "location_name", "address", "city"]
    list_select_related = ["program"]
