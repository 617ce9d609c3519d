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
