"""Production settings: `check --deploy` is clean, and the headers and cookies it asks for are sent.

Both run in a subprocess, as tests/recovery/test_settings.py does: the settings module reads
DJANGO_DEBUG once, at import, and this test run imported it with development defaults.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    # check --deploy also wants 50+ characters and 5+ distinct ones (security.W009).
    "SECRET_KEY": "rb-test-3f9a1c7e5b2d8f6a4c0e9b7d5f3a1c8e6b4d2f0a9c7e5b3d1f8a6c4e2b0d",
    "ALLOWED_HOSTS": "rb.example.org",
    "FIELD_ENCRYPTION_KEY": "zoYWdVnpY2Z8qFzW9gONLI5HugrEqZbflicMDgVHJtw=",
    "SITE_URL": "https://rb.example.org",
    # Without a mail server the reminders would be printed to the log (recovery.W001).
    "EMAIL_HOST": "smtp.example.org",
}


def run_production(tmp_path, args: list[str], **env) -> subprocess.CompletedProcess:
    # The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment
    # must not have it (async.E001), and neither may this one.
    dropped = {
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "SITE_URL",
        "DJANGO_DEBUG",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    clean = {
        k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("SECURE_")
    }
    clean.update(
        {"DJANGO_SETTINGS_MODULE": "recovery.settings", "VAR_DIR": str(tmp_path), **PRODUCTION}
    )
    # A fresh SQLite database in tmp_path: the checks and the requests need no PostgreSQL.
    clean.pop("DATABASE_URL", None)
    clean.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


# With preload off, the reminder to preload (security.W021) is silenced; with it on, it has
# nothing to remind.
@pytest.mark.parametrize("preload", ["0", "1"])
def test_check_deploy_reports_nothing_under_production_settings(tmp_path, preload):
    result = run_production(
        tmp_path,
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECURE_HSTS_PRELOAD=preload,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_check_deploy_would_notice_a_missing_header(tmp_path):
    # The test above could pass with the check silenced wholesale; this one shows it is not.
    result = run_production(
        tmp_path,
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECURE_SSL_REDIRECT="0",
    )
    assert result.returncode != 0
    assert "security.W008" in result.stderr


def test_check_deploy_warns_that_without_a_mail_server_reminders_would_go_to_the_log(tmp_path):
    result = run_production(
        tmp_path,
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        EMAIL_HOST="",
    )
    assert result.returncode != 0
    assert "recovery.W001" in result.stderr
    assert "printed to the log" in result.stderr and "EMAIL_HOST" in result.stderr
    # The only complaint: everything else about production settings is in order.
    assert "1 issue" in result.stderr, result.stderr


REQUESTS = """
import json, django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
from django.conf import settings
browser = Client(HTTP_HOST="rb.example.org")
plain = browser.get("/sign-in/")
secure = browser.get("/sign-in/", secure=True)
cookie = secure.cookies["csrftoken"]
print(json.dumps({
    "plain": [plain.status_code, plain.headers.get("Location", "")],
    "secure": dict(secure.headers),
    "csrf_cookie": {"secure": cookie["secure"], "httponly": cookie["httponly"],
                    "samesite": cookie["samesite"]},
    "session_cookie": [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY,
                       settings.SESSION_COOKIE_SAMESITE],
}))
"""


def test_production_redirects_to_https_and_sends_hsts_and_secure_cookies(tmp_path):
    result = run_production(tmp_path, ["-c", REQUESTS])
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["plain"] == [301, "https://rb.example.org/sign-in/"]
    headers = seen["secure"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert seen["csrf_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert seen["session_cookie"] == [True, True, "Lax"]


HEALTHZ_OVER_HTTP = """
import django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
browser = Client(HTTP_HOST="rb.example.org")
print(browser.get("/healthz").status_code, browser.get("/sign-in/").status_code)
"""


def test_healthz_answers_over_plain_http_where_every_page_redirects(tmp_path):
    # A load balancer's health check reaches gunicorn without TLS; it gets an answer (503
    # here: no worker has run), not a redirect to https.
    result = run_production(tmp_path, ["-c", HEALTHZ_OVER_HTTP])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "503 301"


def test_management_commands_print_no_django_axes_banner(tmp_path):
    result = run_production(tmp_path, ["manage.py", "check"])
    assert result.returncode == 0, result.stderr
    assert "AXES" not in result.stdout + result.stderr
