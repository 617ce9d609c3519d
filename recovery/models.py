import functools
import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from recovery.fields import EncryptedTextField


@functools.cache
def known_time_zones() -> frozenset[str]:
    # available_timezones() walks the tz database on disk (about 30 ms): once per process.
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in known_time_zones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. America/New_York).")


class DistanceUnit(models.TextChoices):
    MILES = "mi", "Miles"
    KILOMETRES = "km", "Kilometres"


class Practice(models.Model):
    """A tenant. Every row that holds client data belongs to exactly one practice."""

    name = models.CharField(max_length=200)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    email_sender_name = models.CharField(
        max_length=100,
        help_text="Shown as the sender of reminder emails. Keep it discreet.",
    )
    distance_unit = models.CharField(
        max_length=2,
        choices=DistanceUnit.choices,
        default=DistanceUnit.MILES,
        help_text="How distances to meetings are shown and typed.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(distance_unit__in=DistanceUnit.values),
                name="practice_distance_unit_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    THERAPIST = "therapist", "Therapist"
    MANAGER = "manager", "Practice manager"
    ADMIN = "admin", "Practice admin"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("Users sign in with an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("role", Role.ADMIN)
        extra["is_staff"] = True
        extra["is_superuser"] = True
        if isinstance(extra.get("practice"), int):
            extra["practice"] = Practice.objects.get(pk=extra["practice"])
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        # Email sign-in is case-insensitive: addresses are stored lower-cased.
        return self.get(**{self.model.USERNAME_FIELD: username.lower()})


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff. Clients never have an account."""

    PRACTICE_PATH = "practice"

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="users")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.THERAPIST)
    is_active = models.BooleanField(default=True)
    # Only practice admins reach the Django admin; see recovery.admin.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name", "practice"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")),
                name="user_email_lowercase",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def has_perm(self, perm, obj=None) -> bool:
        # A practice admin may use every admin page; PracticeScopedAdmin limits each page to
        # their own practice, so role, not per-model permission rows, decides.
        if self.is_active and self.is_staff and self.role == Role.ADMIN:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label) -> bool:
        if self.is_active and self.is_staff and self.role == Role.ADMIN:
            return True
        return super().has_module_perms(app_label)

    @property
    def is_therapist(self) -> bool:
        return self.role == Role.THERAPIST

    @property
    def sees_whole_practice(self) -> bool:
        return self.role in {Role.MANAGER, Role.ADMIN}


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    SIGN = "sign", "Signed"
    EXPORT = "export", "Exported"
    DELETE = "delete", "Deleted"
    LOGIN = "login", "Signed in"
    LOGOUT = "logout", "Signed out"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOCKED_OUT = "locked_out", "Locked out"
    OTP_ENROLLED = "otp_enrolled", "Enrolled two-factor"
    OTP_VERIFIED = "otp_verified", "Passed two-factor"
    OTP_FAILED = "otp_failed", "Failed two-factor"
    PASSWORD_CHANGED = "password_changed", "Changed password"
    SESSION_EXPIRED = "session_expired", "Session expired"
    DISCLOSE = "disclose", "Disclosed"
    RESTRICT = "restrict", "Restricted (erasure request)"
    INVITE = "invite", "Invited a member of staff"
    INVITE_REVOKE = "invite_revoke", "Revoked an invitation"
    INVITE_ACCEPT = "invite_accept", "Accepted an invitation"


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted.")

    # bulk_update goes through update(); the override above already refuses it.


class AuditEvent(models.Model):
    """Who did what to which record, when, from where. Append-only.

    Rows name the client by id without a database constraint, on purpose: the trail must
    outlive the record it describes (a client erased after the retention period).
    """

    PRACTICE_PATH = "practice"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    practice = models.ForeignKey(
        Practice,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the person typed at a failed sign-in; empty otherwise.
    actor_identifier = models.CharField(max_length=254, blank=True)
    # The client did it themselves (an email link or their own page): no staff actor.
    by_client = models.BooleanField(default=False)
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # The per-client history of a record: who has looked at or changed it.
            models.Index(fields=["client", "-at"], name="audit_client_at"),
            models.Index(fields=["practice", "-at"], name="audit_practice_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=AuditAction.values), name="audit_action_valid"
            ),
        ]

    def __str__(self) -> str:
        who = self.actor_id and f"user {self.actor_id}" or self.actor_identifier or "someone"
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        # A guarantee, not a convenience: an existing event is never rewritten.
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")


class Heartbeat(models.Model):
    """The last time beat → broker → worker ran the heartbeat task, per worker."""

    worker = models.CharField(max_length=200, unique=True)
    last_seen_at = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.worker} at {self.last_seen_at:%Y-%m-%d %H:%M:%S}"

    @property
    def age_seconds(self) -> float:
        return (timezone.now() - self.last_seen_at).total_seconds()

    @property
    def is_fresh(self) -> bool:
        """Fresh while it is no older than three missed beats."""
        return self.age_seconds <= 3 * settings.HEARTBEAT_SECONDS


class BeatTick(models.Model):
    """The last time Celery beat sent the heartbeat, written by the beat process itself.

    Beside the workers' Heartbeat rows it tells which part stopped: a stale tick means beat is
    down; a fresh tick with stale heartbeats means the broker or every worker is.
    """

    host = models.CharField(max_length=200, unique=True)
    last_tick_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_tick_at"]

    def __str__(self) -> str:
        return f"beat on {self.host} at {self.last_tick_at:%Y-%m-%d %H:%M:%S}"


class InvitationEmail(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Could not be sent"


class InvitationQuerySet(models.QuerySet):
    def open(self):
        """Neither accepted nor revoked (it may still have expired)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    """A one-time link for a new member of staff to set a password and join a practice.

    Staff are invited, never given passwords. The link's token is stored only as its SHA-256
    hash; the worker that mails it reads an encrypted copy (`outgoing_token`) that it empties
    once the mail is sent.
    """

    PRACTICE_PATH = "practice"

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField()
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=16, choices=Role.choices)
    # Nobody for a practice's first admin, invited by `manage.py create_practice`.
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    token_hash = models.CharField(max_length=64, unique=True)
    outgoing_token = EncryptedTextField(blank=True)
    email_status = models.CharField(
        max_length=16, choices=InvitationEmail.choices, default=InvitationEmail.QUEUED
    )
    email_error = models.CharField(max_length=1000, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitation",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live link per person: inviting again revokes the old one first.
            models.UniqueConstraint(
                "email",
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="invitation_email_lowercase"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="invitation_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(email_status__in=InvitationEmail.values),
                name="invitation_email_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(accepted_at__isnull=False, revoked_at__isnull=False),
                name="invitation_not_accepted_and_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_role_display()})"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "pending"


class UserSession(models.Model):
    """One signed-in session of a member of staff.

    Django's session table cannot be searched by user, so signing out, a password change and
    deactivation find the person's other sessions here (recovery.sessions).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    signed_in_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-signed_in_at"]

    def __str__(self) -> str:
        return f"user {self.user_id} since {self.signed_in_at:%Y-%m-%d %H:%M}"
