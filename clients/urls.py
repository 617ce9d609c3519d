from django.urls import path

from clients import views

app_name = "clients"

urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("<int:pk>/", views.client_detail, name="detail"),
]
