from django.urls import path

from recovery import audit_views

app_name = "audit"

urlpatterns = [
    path("", audit_views.audit_log, name="log"),
]
