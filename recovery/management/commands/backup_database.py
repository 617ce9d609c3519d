"""`manage.py backup_database`: a consistent copy of the database, for the nightly backup.

PostgreSQL: `pg_dump --format=custom` (restore it with `manage.py restore_database` or
`pg_restore`). SQLite, on a laptop: SQLite's online backup. The copy holds the encrypted
fields as ciphertext: without FIELD_ENCRYPTION_KEY it cannot be read, so keep the key
elsewhere (never beside the backups), and a copy of it somewhere safe.
"""

import datetime
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

# The names this command gives its backups; --keep only ever deletes files named so.
BACKUP_NAME = re.compile(r"^recovery-\d{8}T\d{6}Z\.(dump|sqlite3)$")


def postgres_env(settings_dict: dict) -> dict[str, str]:
    """libpq's environment for pg_dump and pg_restore: the password never on a command line."""
    env = {**os.environ}
    for name, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if settings_dict.get(key):
            env[name] = str(settings_dict[key])
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return env


def run_tool(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise CommandError(
            f"{command[0]} is not installed (Debian: apt install postgresql-client)."
        )
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise CommandError(f"{command[0]} failed: {result.stderr.strip()}")


class Command(BaseCommand):
    help = (
        "Back up the database: a pg_dump custom-format file on PostgreSQL, an SQLite copy "
        "otherwise, written to BACKUP_DIR unless --output says where. The backup holds the "
        "encrypted fields as ciphertext: keep FIELD_ENCRYPTION_KEY apart from it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="the file to write")
        parser.add_argument(
            "--keep",
            type=int,
            metavar="N",
            help="then delete all but the newest N backups in the folder",
        )

    def handle(self, *args, output: Path | None, keep: int | None, **options) -> None:
        if keep is not None and keep < 1:
            raise CommandError("--keep must be 1 or more.")
        vendor = connection.vendor
        if vendor not in {"postgresql", "sqlite"}:
            raise CommandError(f"No backup method for {vendor}.")
        if output is None:
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
            suffix = "dump" if vendor == "postgresql" else "sqlite3"
            output = Path(settings.BACKUP_DIR) / f"recovery-{stamp}.{suffix}"
        output.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Written under a temporary name, renamed when complete: a half-written file never
        # looks like a backup.
        partial = output.with_name(f".{output.name}.partial")
        partial.unlink(missing_ok=True)
        partial.touch(mode=0o600)
        try:
            if vendor == "postgresql":
                self.dump_postgres(partial)
            else:
                self.copy_sqlite(partial)
            partial.chmod(0o600)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
        size = output.stat().st_size
        self.stdout.write(self.style.SUCCESS(f"Backed up to {output} ({size:,} bytes)."))
        if keep is not None:
            self.prune(output.parent, keep)

    def dump_postgres(self, target: Path) -> None:
        db = connection.settings_dict
        run_tool(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={target}",
                f"--dbname={db['NAME']}",
            ],
            postgres_env(db),
        )

    def copy_sqlite(self, target: Path) -> None:
        # Through Django's own connection: a consistent snapshot even while the web server
        # and the worker write (SQLite's online backup).
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()

    def prune(self, folder: Path, keep: int) -> None:
        backups = sorted(p for p in folder.iterdir() if BACKUP_NAME.match(p.name))
        for old in backups[:-keep]:
            old.unlink()
            self.stdout.write(f"Deleted the older backup {old.name}.")
