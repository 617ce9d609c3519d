"""The files in deploy/ are the ones a practice installs: they parse, they agree with the
settings, and the env file template names every setting the code reads."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
# Read only by `make run` on a laptop, never on a server.
DEVELOPMENT_ONLY = {"HOST", "PORT"}


def settings_read_from_environment() -> set[str]:
    names = set()
    for source in (ROOT / "recovery" / "settings.py", ROOT / "gunicorn.conf.py"):
        text = source.read_text()
        names |= set(re.findall(r'(?:env_\w+|_int|environ\.get)\(\s*"([A-Z][A-Z0-9_]+)"', text))
    return names


def test_the_env_file_template_lists_every_setting_the_code_reads():
    template = (DEPLOY / "recovery.env.example").read_text()
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", template, flags=re.MULTILINE))
    read = settings_read_from_environment()
    assert len(read) > 30  # the pattern still finds them
    assert read - DEVELOPMENT_ONLY - listed == set()
    assert listed - read == set()


def test_the_readme_documents_every_setting_the_code_reads():
    readme = (ROOT / "README.md").read_text()
    missing = {name for name in settings_read_from_environment() if f"`{name}`" not in readme}
    assert missing == set()


def local_copy(unit: Path, folder: Path) -> Path:
    """The unit with this checkout and a test env file where it expects the server's."""
    env_file = folder / "recovery.env"
    env_file.write_text("DJANGO_DEBUG=1\n")
    venv = Path(sys.executable).parent.parent
    copy = folder / unit.name
    copy.write_text(
        unit.read_text()
        .replace("/srv/recovery-bridge/.venv", str(venv))
        .replace("/srv/recovery-bridge", str(ROOT))
        .replace("/etc/recovery-bridge/recovery.env", str(env_file))
    )
    return copy


def verify_problems(unit: Path) -> list[str]:
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=unit.parent,
    )
    return [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # The test machine has no service user and may run no systemd at all.
        if "recovery" in line and "user" not in line.lower()
    ]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_each_systemd_unit_verifies(unit, tmp_path):
    text = unit.read_text()
    assert "/srv/recovery-bridge" in text and "/etc/recovery-bridge/recovery.env" in text
    assert verify_problems(local_copy(unit, tmp_path)) == []


@pytest.mark.skipif(not Path("/usr/sbin/nginx").exists(), reason="needs nginx")
def test_the_nginx_site_passes_nginx_t(tmp_path):
    from tests.deploy.test_production_stack import nginx_config

    config = nginx_config(tmp_path, http=8080, https=8443, upstream=8000)
    result = subprocess.run(
        ["/usr/sbin/nginx", "-t", "-c", str(config)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_deploy_manage_runs_manage_py_with_the_env_file(tmp_path):
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("deploy/manage runs the checkout's .venv, which this run does not use")
    env_file = tmp_path / "recovery.env"
    env_file.write_text(f"VAR_DIR={tmp_path / 'var'}\nSITE_URL=http://from-the-env-file.test\n")
    env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "VAR_DIR", "DATABASE_URL"}}
    env.update({"RECOVERY_ENV_FILE": str(env_file), "RECOVERY_USER": _whoami()})
    result = subprocess.run(
        [
            str(DEPLOY / "manage"),
            "shell",
            "-v",
            "0",
            "-c",
            "from django.conf import settings; print(settings.SITE_URL, settings.VAR_DIR)",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["http://from-the-env-file.test", str(tmp_path / "var")]


def test_deploy_manage_names_a_missing_env_file(tmp_path):
    env = {
        **os.environ,
        "RECOVERY_ENV_FILE": str(tmp_path / "nope.env"),
        "RECOVERY_USER": _whoami(),
    }
    result = subprocess.run(
        [str(DEPLOY / "manage"), "check"], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
    assert "nope.env" in result.stderr


def _whoami() -> str:
    return subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_the_backup_timer_verifies_and_starts_the_backup_service(tmp_path):
    systemd = DEPLOY / "systemd"
    timer = (systemd / "recovery-backup.timer").read_text()
    assert "OnCalendar=" in timer and "Persistent=true" in timer
    assert "backup_database --keep" in (systemd / "recovery-backup.service").read_text()
    local_copy(systemd / "recovery-backup.service", tmp_path)
    assert verify_problems(local_copy(systemd / "recovery-backup.timer", tmp_path)) == []


def test_deploy_manage_takes_another_database_for_a_restore_drill(tmp_path):
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("deploy/manage runs the checkout's .venv, which this run does not use")
    env_file = tmp_path / "recovery.env"
    env_file.write_text(f"VAR_DIR={tmp_path}\nDATABASE_URL=postgres:///recovery\n")
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "RECOVERY_ENV_FILE": str(env_file),
        "RECOVERY_USER": _whoami(),
        "RECOVERY_DATABASE_URL": f"sqlite:///{tmp_path / 'drill.sqlite3'}",
    }
    result = subprocess.run(
        [
            str(DEPLOY / "manage"),
            "shell",
            "-v",
            "0",
            "-c",
            "from django.db import connection; print(connection.settings_dict['NAME'])",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "drill.sqlite3")
