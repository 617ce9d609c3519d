"""`manage.py restore_database PATH`: put a backup from `backup_database` back.

Into an empty database unless --force: restoring over a live one would mix two states. After
the restore it checks that FIELD_ENCRYPTION_KEY reads the restored records.
"""

import sqlite3
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from recovery.management.commands.backup_database import postgres_env, run_tool


def existing_tables() -> list[str]:
    with connection.cursor() as cursor:
        return [
            name
            for name in connection.introspection.table_names(cursor)
            if not name.startswith("sqlite_")
        ]


class Command(BaseCommand):
    help = (
        "Restore a backup made by backup_database into the configured database (empty, "
        "unless --force), then check that FIELD_ENCRYPTION_KEY reads it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace what the database holds now (its tables are dropped first)",
        )
        parser.add_argument(
            "--no-input", action="store_false", dest="interactive", help="ask nothing"
        )

    def handle(self, *args, path: Path, force: bool, interactive: bool, **options) -> None:
        if not path.is_file():
            raise CommandError(f"No backup file at {path}.")
        tables = existing_tables()
        if tables and not force:
            raise CommandError(
                f"The database {connection.settings_dict['NAME']} is not empty "
                f"({len(tables)} tables). Restore into a new, empty database, or pass --force "
                "to replace what it holds."
            )
        if interactive:
            answer = input(
                f"Restore {path} into {connection.settings_dict['NAME']}"
                f"{' replacing what it holds' if tables else ''}? Type 'yes': "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing restored.")
        if connection.vendor == "postgresql":
            self.restore_postgres(path, replace=bool(tables))
        elif connection.vendor == "sqlite":
            self.restore_sqlite(path)
        else:
            raise CommandError(f"No restore method for {connection.vendor}.")
        self.stdout.write(self.style.SUCCESS(f"Restored {path}."))
        # Proof the records read back: a restore with the wrong key is no restore.
        call_command("check_field_keys", stdout=self.stdout, stderr=self.stderr)

    def restore_postgres(self, path: Path, *, replace: bool) -> None:
        db = connection.settings_dict
        connection.close()
        command = [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={db['NAME']}",
        ]
        if replace:
            command += ["--clean", "--if-exists"]
        run_tool([*command, str(path)], postgres_env(db))

    def restore_sqlite(self, path: Path) -> None:
        connection.ensure_connection()
        source = sqlite3.connect(path)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
