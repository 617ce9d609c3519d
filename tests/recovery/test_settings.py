"""Production settings refuse to start on development defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL_KEY = "k" * 50
FERNET_KEY = "zoYWdVnpY2Z8qFzW9gONLI5HugrEqZbflicMDgVHJtw="


def load_settings(tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS"}}
    clean.update({"DJANGO_SETTINGS_MODULE": "recovery.settings", "VAR_DIR": str(tmp_path)})
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_defaults_start_without_any_environment(tmp_path):
    result = load_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "dev-only-insecure-secret-key-do-not-use-in-production"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": REAL_KEY}, "ALLOWED_HOSTS"),
        ({"SECRET_KEY": REAL_KEY, "ALLOWED_HOSTS": "rb.example.org"}, "FIELD_ENCRYPTION_KEY"),
        (
            {
                "SECRET_KEY": REAL_KEY,
                "ALLOWED_HOSTS": "rb.example.org",
                "FIELD_ENCRYPTION_KEY": FERNET_KEY,
                "SITE_URL": "http://rb.example.org",
            },
            "SITE_URL",
        ),
    ],
)
def test_production_refuses_to_start_on_defaults(tmp_path, env, complaint):
    env = {"FIELD_ENCRYPTION_KEY": "", **env}
    result = load_settings(tmp_path, DJANGO_DEBUG="0", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert complaint in result.stderr


def test_production_starts_with_real_secrets(tmp_path):
    result = load_settings(
        tmp_path,
        DJANGO_DEBUG="0",
        SECRET_KEY=REAL_KEY,
        ALLOWED_HOSTS="rb.example.org",
        FIELD_ENCRYPTION_KEY=FERNET_KEY,
        SITE_URL="https://rb.example.org",
    )
    assert result.returncode == 0, result.stderr


def test_a_misspelt_boolean_is_refused_not_guessed(tmp_path):
    result = load_settings(tmp_path, DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG" in result.stderr


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_URL": "localhost/recovery"}, "DATABASE_URL"),
        ({"REDIS_URL": "127.0.0.1:6379"}, "REDIS_URL"),
        ({"EMAIL_PORT": "five-eight-seven"}, "EMAIL_PORT"),
        ({"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"}, "EMAIL_USE_SSL"),
        ({"TRUSTED_PROXIES": "one"}, "TRUSTED_PROXIES"),
        ({"PORT": "eighty"}, "PORT"),
    ],
)
def test_a_malformed_setting_stops_the_start_and_names_the_variable(tmp_path, env, named):
    result = load_settings(tmp_path, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.strip().splitlines()[-1]


def test_the_site_url_follows_host_and_port_in_development(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.SITE_URL, settings.ALLOWED_HOSTS)",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in {"SITE_URL", "ALLOWED_HOSTS"}},
            "DJANGO_SETTINGS_MODULE": "recovery.settings",
            "VAR_DIR": str(tmp_path),
            "HOST": "rb-laptop.local",
            "PORT": "8123",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("http://rb-laptop.local:8123 ")
    assert "rb-laptop.local" in result.stdout.split(" ", 1)[1]


def test_the_filesystem_broker_keeps_every_folder_under_var(tmp_path):
    # Without its control_folder option, kombu writes the exchange table to ./control in
    # whatever folder the worker was started from.
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = (
        "import django; django.setup()\n"
        "from recovery.celery import app\n"
        "with app.connection_for_write() as conn:\n"
        "    conn.default_channel.basic_publish\n"
        "    app.send_task('recovery.tasks.heartbeat', connection=conn)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "recovery.settings", "VAR_DIR": str(tmp_path / "var")})
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert not (work / "control").exists()
    assert any((tmp_path / "var" / "celery" / "control").iterdir())
    assert any((tmp_path / "var" / "celery" / "queue").iterdir())
