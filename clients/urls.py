from django.urls import path

from clients import views

app_name = "clients"

urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("new/", views.client_add, name="add"),
    path("dashboard/", views.caseload_dashboard, name="dashboard"),
    path("<int:pk>/", views.client_detail, name="detail"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/ladder/", views.ladder_move, name="ladder"),
    path("<int:pk>/meetings/", views.client_meetings, name="meetings"),
    path("<int:pk>/meetings/<int:meeting_pk>/", views.client_meeting, name="meeting"),
    path("<int:pk>/meetings/<int:meeting_pk>/plan/", views.plan_new, name="plan_new"),
    path("<int:pk>/plans/<int:plan_pk>/end/", views.plan_end, name="plan_end"),
    path("<int:pk>/attendance/", views.attendance_new, name="attendance"),
    path("<int:pk>/reminders/", views.client_reminders, name="reminders"),
    path("<int:pk>/reminders/consent/", views.consent_record, name="consent"),
    path("<int:pk>/reminders/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("<int:pk>/page-links/revoke/", views.page_links_revoke, name="page_links_revoke"),
    path("<int:pk>/notes/new/", views.note_new, name="note_new"),
    path("<int:pk>/notes/autosave/", views.note_autosave, name="note_autosave"),
    path("<int:pk>/notes/sections/", views.note_sections, name="note_sections"),
    path("<int:pk>/notes/suggestions/", views.note_suggestions, name="note_suggestions"),
    path("<int:pk>/notes/<int:note_pk>/", views.note_detail, name="note"),
    path("<int:pk>/notes/<int:note_pk>/addenda/", views.note_addendum, name="note_addendum"),
    path("<int:pk>/measures/new/", views.measure_new, name="measure_new"),
    path("<int:pk>/measures/<int:measure_pk>/", views.measure_detail, name="measure"),
    path("<int:pk>/record/export/", views.record_export, name="record_export"),
    path("<int:pk>/record/disclosures/", views.record_disclosures, name="record_disclosures"),
    path(
        "<int:pk>/record/disclosures/<int:disclosure_pk>/print/",
        views.record_disclosure_print,
        name="record_disclosure_print",
    ),
    path("<int:pk>/record/erasure/", views.record_erasure, name="record_erasure"),
    path("<int:pk>/record/delete/", views.record_delete, name="record_delete"),
    path("<int:pk>/measures/send/", views.measure_send, name="measure_send"),
    path("<int:pk>/measures/schedule/", views.measure_schedule, name="measure_schedule"),
    path(
        "<int:pk>/measures/schedule/stop/",
        views.measure_schedule_stop_view,
        name="measure_schedule_stop",
    ),
]
