from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from recovery import invitation_views, views
from recovery.csp_reports import csp_report
from recovery.health import healthz

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-out/", views.SignOutView.as_view(), name="logout"),
    path("account/security/", views.account_security, name="account_security"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("account/two-factor/set-up/", views.two_factor_enrol, name="two_factor_enrol"),
    path(
        "account/two-factor/backup-codes/",
        views.two_factor_backup_codes,
        name="two_factor_backup_codes",
    ),
    path("account/session/", views.session_status, name="session_status"),
    path("account/session/keep-alive/", views.session_keepalive, name="session_keepalive"),
    path("staff/", invitation_views.staff_list, name="staff_list"),
    path(
        "staff/invitations/<int:pk>/revoke/",
        invitation_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "staff/invitations/<int:pk>/send-again/",
        invitation_views.invitation_resend,
        name="invitation_resend",
    ),
    # An invitation's one-time link; recovery.logs cuts its token out of every log line.
    path("welcome/<str:token>/", invitation_views.invitation_accept, name="invitation_accept"),
    path("csp-report/", csp_report, name="csp_report"),
    # Browsers ask for /favicon.ico whatever the page links: send them to the hashed icon.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("img/favicon.svg"))),
    # For monitoring: no sign-in, no client data (recovery/health.py).
    path("healthz", healthz, name="healthz"),
    path("clients/", include("clients.urls")),
    path("meetings/", include("groups.urls")),
    path("r/", include("clients.client_reply_urls")),
    path("me/", include("clients.own_page_urls")),
    path("audit/", include("recovery.audit_urls")),
    path("admin/", admin.site.urls),
]
