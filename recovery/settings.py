"""Recovery Bridge settings: one module, read top to bottom, configured from the environment.

With no environment variables at all the app runs for development: SQLite and kombu's
filesystem transport under var/, mail printed to the console. Set DJANGO_DEBUG=0 for
production; it then refuses to start without a real SECRET_KEY, ALLOWED_HOSTS and
FIELD_ENCRYPTION_KEY.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse_lazy

BASE_DIR = Path(__file__).resolve().parent.parent
# Development state (SQLite database, broker folders, beat schedule) lives here.
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

# --- Secrets -------------------------------------------------------------------------------
_DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"
# A fixed Fernet key so a development database stays readable across restarts. Production
# must bring its own (see the README for how to make one).
_DEV_FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHktZmllbGQtZW5jcnlwdGlvbi1rZXkhISE="

SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else None)
# In development `make run` serves on HOST:PORT (127.0.0.1:8000 unless set), and the site's
# own address follows them unless SITE_URL says otherwise.
DEV_HOST = os.environ.get("HOST") or "127.0.0.1"
DEV_PORT = env_int("PORT", 8000)
_DEV_HOSTS = ",".join(dict.fromkeys(["127.0.0.1", "localhost", "[::1]", DEV_HOST]))
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", _DEV_HOSTS if DEBUG else "")
# Comma-separated Fernet keys: the first encrypts, all decrypt (key rotation).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEY", _DEV_FIELD_ENCRYPTION_KEY if DEBUG else "")

if not DEBUG:
    if SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("DJANGO_DEBUG=0 needs a real SECRET_KEY (32+ characters).")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_DEBUG=0 needs ALLOWED_HOSTS.")
    if not FIELD_ENCRYPTION_KEYS or _DEV_FIELD_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS:
        raise ImproperlyConfigured("DJANGO_DEBUG=0 needs a real FIELD_ENCRYPTION_KEY.")
    if not os.environ.get("SITE_URL", "").startswith("https://"):
        raise ImproperlyConfigured("DJANGO_DEBUG=0 needs SITE_URL, the site's https:// address.")

# --- Applications --------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "health_check",
    "recovery",
    "groups",
    "clients",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware, as WhiteNoise asks: static files are served before
    # sessions, the database or two-factor are touched.
    "recovery.static.StaticFilesMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Sets request.user.is_verified() from the session's two-factor device.
    "django_otp.middleware.OTPMiddleware",
    "recovery.middleware.PracticeTimeZoneMiddleware",
    "recovery.headers.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session limits first, then the two-factor gate (see the README).
    "recovery.middleware.SessionTimeoutMiddleware",
    "recovery.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a lockout into the calm sign-in page (recovery.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "recovery.urls"
WSGI_APPLICATION = "recovery.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "recovery.context_processors.session_timeout",
            ],
        },
    },
]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Database ------------------------------------------------------------------------------
# DATABASE_URL selects PostgreSQL (postgres://user@host:5432/name); without it, SQLite.
VAR_DIR.mkdir(parents=True, exist_ok=True)
try:
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'recovery.sqlite3'}",
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
            # A kept connection the database dropped (a restart) is replaced, not an error.
            conn_health_checks=True,
        )
    }
except ValueError as error:
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database address ({error}); "
        "e.g. postgres://user:password@127.0.0.1:5432/recovery"
    ) from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat all write: WAL and IMMEDIATE transactions keep
    # SQLite from answering "database is locked" under that light concurrency.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
SILENCED_SYSTEM_CHECKS = []
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The dashboard's covering indexes (INCLUDE columns) are PostgreSQL's; SQLite builds the
    # same indexes without the extra columns, which only ever saved reading a table row.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication ------------------------------------------------------------------------
AUTH_USER_MODEL = "recovery.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out email and IP before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the user's practice in the same query (recovery.backends).
    # A session signed in under django.contrib.auth.backends.ModelBackend signs in again.
    "recovery.backends.ModelBackendWithPractice",
]

# Two-factor sign-in (django-otp, TOTP apps plus one-time backup codes). When on, every
# member of staff sets it up and passes it after their password; production turns it on by
# default, the laptop demo leaves it off. Whoever has set it up passes it in any case, and
# the Django admin always demands it (recovery.middleware.TwoFactorMiddleware).
REQUIRE_2FA = env_bool("REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = "Recovery Bridge"
# The admin lists devices but never shows a secret key or a backup code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Lockout (django-axes): 5 failures for one email from one IP address lock that pair out
# for 15 minutes, counted from the fifth failure; a success clears the count. Another IP,
# or another email from this IP, is not affected, so nobody can lock a colleague out from
# afar. Unknown emails are counted the same way as real ones and get the same message.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "recovery.lockout.attempted_email"
AXES_LOCKOUT_CALLABLE = "recovery.lockout.locked_out_response"
# The same address the audit trail records (recovery.services.request_ip): behind
# TRUSTED_PROXIES proxies, the client's, not the proxy's.
AXES_CLIENT_IP_CALLABLE = "recovery.services.request_ip"
# Without this, django-axes logs "AXES: BEGIN version ..." at the start of every command.
AXES_VERBOSE = False
# Axes' admin pages would list every practice's sign-in attempts; lockouts end by themselves
# (or `manage.py axes_reset_username <email>` for the operator).
AXES_ENABLE_ADMIN = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# Clinical records: a session never outlives a working day, however busy (counted from
# sign-in, enforced on the server by recovery.middleware.SessionTimeoutMiddleware).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60)
# Signed out after this long without a request; the browser warns this long before.
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 15 * 60)
SESSION_IDLE_WARNING_SECONDS = 60

# How often a draft session note saves itself while someone types.
NOTE_AUTOSAVE_SECONDS = env_int("NOTE_AUTOSAVE_SECONDS", 30)

# The dashboard's "drifting" clients: this many missed planned meetings in the window, a lapse
# flagged this recently, or no session for this long.
DRIFT_MISSED_MEETINGS = env_int("DRIFT_MISSED_MEETINGS", 2)
DRIFT_MISSED_WINDOW_DAYS = env_int("DRIFT_MISSED_WINDOW_DAYS", 30)
DRIFT_LAPSE_DAYS = env_int("DRIFT_LAPSE_DAYS", 14)
DRIFT_NO_SESSION_DAYS = env_int("DRIFT_NO_SESSION_DAYS", 21)
# A draft note still unsigned this long after its session day shows on the dashboard.
UNSIGNED_NOTE_HOURS = env_int("UNSIGNED_NOTE_HOURS", 48)

# --- Security headers ----------------------------------------------------------------------
# Content Security Policy (django-csp): scripts only from this site and only with the
# per-request nonce the templates put on each <script> tag; no inline code, no eval, no inline
# styles. img-src allows data: because Bootstrap draws its select arrows, check marks and the
# navbar toggler as data: SVG images from its stylesheet.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        # Browsers post what the policy blocked here; recovery/csp_reports.py logs it.
        "report-uri": [reverse_lazy("csp_report")],
    },
}
# Browser features no page of ours uses, switched off for every page and anything it might
# embed (django-permissions-policy): an injected script cannot reach a camera, a microphone
# or the device's location, and no ad-interest topics are computed from a client's visits.
# Only features Chromium recognises: it logs a console warning for each name it does not
# (ambient-light-sensor and bluetooth are not in its list).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
# HSTS for a year, subdomains included, in production only: a laptop's http://127.0.0.1 must
# keep working. Preloading is an operator's decision for the whole domain (and hard to undo),
# so it is off unless SECURE_HSTS_PRELOAD=1; check --deploy's reminder about it is silenced.
SECURE_HSTS_SECONDS = 0 if DEBUG else 365 * 24 * 60 * 60
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS.append("security.W021")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# A load balancer or a local monitor may ask gunicorn for /healthz over plain http, past the
# TLS proxy; it answers rather than redirecting (it shows no client data).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Behind a proxy that terminates TLS, Django only knows a request was https from the proxy's
# X-Forwarded-Proto. Trust it only when that proxy overwrites whatever a client sent.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front append the address they received from to X-Forwarded-For; the
# client's address is then read from there (recovery.services.request_ip). 0: REMOTE_ADDR.
TRUSTED_PROXIES = max(0, env_int("TRUSTED_PROXIES", 0))
SECURE_CONTENT_TYPE_NOSNIFF = True
# "same-origin": our own pages (and CSRF's Origin/Referer checks on https) get the full
# address; other sites get nothing, so a link out of a page never carries a client id or a
# reminder link's token. "no-referrer" would also blank the Origin of our own form posts.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The CSRF token reaches htmx through the page (hx-headers in base.html), never through
# JavaScript reading the cookie, so the cookie can be HttpOnly.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# --- Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------------
# WhiteNoise serves /static/ from the web process itself (recovery.static), in production from
# what `manage.py collectstatic` gathered into STATIC_ROOT: file names carry a hash of their
# contents, so they are cached for a year and a new release changes every name it changes;
# each has gzip (and Brotli) copies beside it. Under DEBUG, files come straight from static/.
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve the files under static/ as they change, without collectstatic, while developing.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Email ---------------------------------------------------------------------------------
# With EMAIL_HOST set, mail goes out over SMTP; otherwise it is printed to the console, which
# suits development only: with DEBUG off, `check --deploy` warns (recovery.W001,
# recovery/checks.py), since the worker would print every reminder to the logs.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# TLS from the first byte (port 465), instead of STARTTLS (port 587).
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS or EMAIL_USE_SSL, not both.")
# A hung mail server must not hold a worker forever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "reminders@localhost")

# --- Celery --------------------------------------------------------------------------------
# REDIS_URL selects Redis; without it, kombu's filesystem transport under var/celery/ lets the
# real worker and beat run on a laptop with nothing installed.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        "REDIS_URL must start with redis://, rediss:// or unix:// (e.g. redis://127.0.0.1:6379/0)."
    )
CELERY_FILESYSTEM_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A task a worker took but did not acknowledge is handed out again after this long; it
    # must outlast the longest task we run (a dispatch batch takes well under a minute).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    for _folder in ("queue", "processed", "control"):
        (CELERY_FILESYSTEM_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_DIR / "processed"),
        # Exchange tables; without this kombu writes them to ./control in the working folder.
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),
        "store_processed": False,
    }
# One Redis can serve several deployments (or a test run beside a dev server) when each
# uses its own queue.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
# The database is the source of truth for every outcome; nobody reads task results.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Seconds between heartbeats. A minute is often enough for an admin to see at a glance that
# beat, the broker and a worker are all alive, and cheap enough to run forever.
HEARTBEAT_SECONDS = env_int("HEARTBEAT_SECONDS", 60)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "recovery.tasks.heartbeat", "schedule": HEARTBEAT_SECONDS},
    # Every 5 minutes: a new plan gets its first reminder rows within minutes, and the
    # 48-hour horizon leaves days of slack if beat is down for a while.
    "plan-reminders": {"task": "clients.tasks.plan_reminders", "schedule": 5 * 60},
    # Every minute: a reminder goes out at most about a minute after it is due.
    "dispatch-reminders": {"task": "clients.tasks.dispatch_reminders", "schedule": 60},
    # Every 5 minutes: a disclosed printable page is kept about an hour for its maker, no more.
    "expire-printed-copies": {"task": "clients.tasks.expire_printed_copies", "schedule": 5 * 60},
    # Hourly: schedules count in days (7 to 365), so an hour late is nothing, and a client
    # never waits long for the first questionnaire of a new schedule.
    "plan-measure-requests": {"task": "clients.tasks.plan_measure_requests", "schedule": 60 * 60},
    # Every 15 minutes: queues the feeds whose refresh (FEED_REFRESH_HOURS) or retry is due.
    "refresh-feeds": {"task": "groups.tasks.refresh_feeds", "schedule": 15 * 60},
}

# --- Meeting feeds -------------------------------------------------------------------------
# Every 12 hours, as the Meeting Guide app refreshes the feeds it lists; a failed fetch is
# tried again after FEED_RETRY_HOURS.
FEED_REFRESH_HOURS = env_int("FEED_REFRESH_HOURS", 12)
FEED_RETRY_HOURS = env_int("FEED_RETRY_HOURS", 1)
# A feed not read successfully for this long is stale on its admin's page and the dashboard.
FEED_STALE_HOURS = env_int("FEED_STALE_HOURS", 72)
FEED_FETCH_TIMEOUT_SECONDS = env_int("FEED_FETCH_TIMEOUT_SECONDS", 30)
# A worker that claimed a feed this long ago and never finished is taken to be dead.
FEED_IMPORT_LEASE_SECONDS = env_int("FEED_IMPORT_LEASE_SECONDS", 15 * 60)
FEED_IMPORT_TIME_LIMIT_SECONDS = env_int("FEED_IMPORT_TIME_LIMIT_SECONDS", 10 * 60)
# The largest feed file a practice admin may upload (nginx's client_max_body_size is 10m).
FEED_UPLOAD_MAX_BYTES = env_int("FEED_UPLOAD_MAX_BYTES", 9 * 1024 * 1024)
# Practice admins' feed addresses may not point inside the server's network (loopback,
# private ranges); only a test or a private intergroup mirror would turn this on.
FEED_ALLOW_PRIVATE_ADDRESSES = env_bool("FEED_ALLOW_PRIVATE_ADDRESSES", False)

# /healthz answers 503 once the newest worker heartbeat (or beat's newest tick) is older than
# this: three missed beats, so one slow beat is not an alarm.
HEALTH_HEARTBEAT_STALE_SECONDS = env_int("HEALTH_HEARTBEAT_STALE_SECONDS", 3 * HEARTBEAT_SECONDS)
# How long /healthz waits for the broker before calling it down.
HEALTH_BROKER_TIMEOUT_SECONDS = env_int("HEALTH_BROKER_TIMEOUT_SECONDS", 3)

# --- Reminders -----------------------------------------------------------------------------
# The public address of the site: links in emails point here (https in production).
SITE_URL = os.environ.get("SITE_URL", f"http://{DEV_HOST}:{DEV_PORT}").rstrip("/")
REMINDER_HORIZON_HOURS = 48
# A row left "sending" this long is taken to belong to a dead worker and is sent again.
REMINDER_LEASE_SECONDS = env_int("REMINDER_LEASE_SECONDS", 5 * 60)
# Transient SMTP failures are retried with backoff up to this many attempts in all.
REMINDER_MAX_ATTEMPTS = env_int("REMINDER_MAX_ATTEMPTS", 5)
# Links in reminder emails ("I went", unsubscribe) expire after this long.
REMINDER_LINK_MAX_AGE_DAYS = 14
# A questionnaire sent to a client can be completed for this long, then it is closed.
MEASURE_LINK_MAX_AGE_DAYS = 14
# The client's own page: its link in each email works this long (until revoked); a visit
# ends after this long idle, and after this long in all.
CLIENT_PAGE_LINK_MAX_AGE_DAYS = 14
CLIENT_PAGE_IDLE_MINUTES = env_int("CLIENT_PAGE_IDLE_MINUTES", 20)
CLIENT_PAGE_SESSION_MAX_MINUTES = env_int("CLIENT_PAGE_SESSION_MAX_MINUTES", 120)
# Its own cookie, sent only to the client's page (never to a staff address).
CLIENT_PAGE_COOKIE_NAME = "rb_visit"

# --- Staff invitations ---------------------------------------------------------------------
# An invitation link works once, for this long; after that the admin sends a new one.
INVITATION_MAX_AGE_HOURS = env_int("INVITATION_MAX_AGE_HOURS", 72)

# --- Backups -------------------------------------------------------------------------------
# Where `manage.py backup_database` writes its dumps. Keep FIELD_ENCRYPTION_KEY elsewhere: a
# backup is only ciphertext without it (README, "Backups and a restore drill").
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", VAR_DIR / "backups"))

# --- Records -------------------------------------------------------------------------------
# How long a discharged client's record must be kept before an admin may delete it, counted
# from the discharge date (an erasure request discharges and restricts the record at once).
# Seven years (2555 days) meets HIPAA's six-year documentation rule and the longest common
# US state rule for adult treatment records; set it to what your jurisdiction requires.
RECORD_RETENTION_DAYS = env_int("RECORD_RETENTION_DAYS", 2555)

# --- Logging -------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "recovery.logs.RedactTokens"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # django-health-check logs each failing check with a traceback; with a monitor polling
        # /healthz while a worker is down, that is a traceback a minute saying what the 503
        # already says (django.request still logs the 503 itself).
        "health_check": {"level": "ERROR"},
    },
}
