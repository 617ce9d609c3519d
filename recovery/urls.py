from django.contrib import admin
from django.urls import include, path

from recovery import views

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-out/", views.SignOutView.as_view(), name="logout"),
    path("clients/", include("clients.urls")),
    path("meetings/", include("groups.urls")),
    path("r/", include("clients.response_urls")),
    path("audit/", include("recovery.audit_urls")),
    path("admin/", admin.site.urls),
]
