from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery.models import AuditEvent, Heartbeat, Practice, Role, User


def _is_verified_practice_admin(request: HttpRequest) -> bool:
    user = request.user
    return bool(
        user.is_active
        and user.is_staff
        and (user.role == Role.ADMIN or user.is_superuser)
        # Two-factor, always, whatever REQUIRE_2FA says (django-otp's OTPAdminSite's rule).
        # recovery.middleware.TwoFactorMiddleware sends an unverified admin to the code page.
        and user.is_verified()
    )


# The Django admin is for practice admins only: managers and therapists use the app's pages.
admin.site.has_permission = _is_verified_practice_admin
admin.site.site_header = "Recovery Bridge administration"
admin.site.site_title = "Recovery Bridge admin"
admin.site.index_title = "Practice administration"
# Access follows the role field; permission groups would be a second, conflicting system.
admin.site.unregister(Group)


class PracticeScoped:
    """Shows a practice admin only their own practice's rows, and offers only those as choices.

    Each model names the lookup to its practice in `PRACTICE_PATH`; a superuser (the hosting
    operator) sees everything. Mixed into model admins and inlines alike.
    """

    # For a model of another app, which cannot carry PRACTICE_PATH itself.
    practice_path: str | None = None
    # The lookup to "belongs to a superuser", for rows of the hosting operator's own account
    # (its sign-in devices): out of a practice admin's reach like the account itself.
    superuser_path: str | None = None

    def scope(self, request: HttpRequest, queryset: QuerySet, model: type[Model]) -> QuerySet:
        if request.user.is_superuser:
            return queryset
        # The operator's account sits in a practice too (createsuperuser asks for one), but
        # that practice's admin must not reset its password or remove its second factor.
        if model is User:
            queryset = queryset.exclude(is_superuser=True)
        if model is self.model and self.superuser_path:
            queryset = queryset.exclude(**{self.superuser_path: True})
        if model is Practice:
            return queryset.filter(pk=request.user.practice_id)
        path = getattr(model, "PRACTICE_PATH", None)
        if model is self.model and self.practice_path:
            path = self.practice_path
        if path is None:
            return queryset
        own = Q(**{path: request.user.practice_id})
        if getattr(model, "PRACTICE_NULL_IS_SHARED", False):
            # Rows of no practice (the curated theme taxonomy) belong to every practice.
            return queryset.filter(own | Q(**{f"{path}__isnull": True}))
        return queryset.filter(own)

    def get_queryset(self, request):
        return self.scope(request, super().get_queryset(request), self.model)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = self.scope(request, field.queryset, db_field.related_model)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = self.scope(request, field.queryset, db_field.related_model)
        return field


class PracticeScopedAdmin(PracticeScoped, admin.ModelAdmin):
    def get_object(self, request, object_id, from_field=None):
        # Django's admin answers a row it cannot find with a redirect to its index; here,
        # as on every other page, another practice's row (or a missing one) is a plain 404.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such record.")
        return obj


class PracticeScopedTabularInline(PracticeScoped, admin.TabularInline):
    pass


class ReadOnly:
    """Read, never add, change or delete: for model admins and inlines alike."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, PracticeScopedAdmin):
    """Rows the application writes and nobody edits (the audit trail, disclosures): the
    admin may read them, never add, change or delete one."""


@admin.register(Practice)
class PracticeAdmin(PracticeScopedAdmin):
    list_display = ["name", "time_zone", "email_sender_name", "distance_unit"]
    search_fields = ["name"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(User)
class UserAdmin(PracticeScopedAdmin, BaseUserAdmin):
    ordering = ["full_name"]
    list_display = ["email", "full_name", "role", "practice", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "practice", "role"]}),
        ("Access", {"fields": ["is_active", "is_staff"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "practice", "role", "password1", "password2"],
            },
        ),
    ]
    filter_horizontal = []


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Append-only: the trail is read here, never written."""

    list_display = [
        "at",
        "actor",
        "actor_identifier",
        "action",
        "client_id",
        "object_type",
        "object_id",
        "ip_address",
    ]
    list_filter = ["action"]
    date_hierarchy = "at"
    list_select_related = ["actor"]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker", "last_seen_at", "beats", "is_fresh"]
    readonly_fields = ["worker", "last_seen_at", "beats"]

    @admin.display(boolean=True, description="Alive")
    def is_fresh(self, obj: Heartbeat) -> bool:
        return obj.is_fresh

    def has_add_permission(self, request):
        return False


# django-otp's own admin pages, limited to the admin's practice. An admin may see who has set
# up two-factor, reset a device's throttling or delete a lost phone's device (the person then
# sets up again); never add one, and never see a key or code (OTP_ADMIN_HIDE_SENSITIVE_DATA).
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(TOTPDevice)
class PracticeTOTPDeviceAdmin(PracticeScopedAdmin, TOTPDeviceAdmin):
    practice_path = "user__practice"
    superuser_path = "user__is_superuser"

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        # Without django-otp's QR code pages: people set up their own app while signed in.
        return admin.ModelAdmin.get_urls(self)


@admin.register(StaticDevice)
class PracticeStaticDeviceAdmin(PracticeScopedAdmin, StaticDeviceAdmin):
    practice_path = "user__practice"
    superuser_path = "user__is_superuser"

    def has_add_permission(self, request):
        return False
