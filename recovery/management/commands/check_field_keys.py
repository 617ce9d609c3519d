"""`manage.py check_field_keys`: can the current FIELD_ENCRYPTION_KEY read every encrypted value?

Run it after restoring a backup (before anyone signs in) and before removing an old key from
the setting. It reads the stored tokens as text, without building model instances, and
tries each with the current keys; it changes nothing.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import router

from recovery.fields import encrypted_fields, is_readable, raw_token_columns


class Command(BaseCommand):
    help = (
        "Check that FIELD_ENCRYPTION_KEY decrypts every encrypted value in the database: "
        "after a restore, and before an old key is removed. Changes nothing."
    )

    def handle(self, *args, **options) -> None:
        total = unreadable = 0
        for model, fields in encrypted_fields():
            columns = raw_token_columns(fields)
            rows = (
                model._base_manager.using(router.db_for_read(model))
                .annotate(**columns)
                .values_list(*columns)
            )
            counts = [[0, 0] for _ in fields]  # readable, unreadable
            for row in rows.iterator(chunk_size=2000):
                for index, token in enumerate(row):
                    if token is not None:
                        counts[index][0 if is_readable(token) else 1] += 1
            for field, (good, bad) in zip(fields, counts, strict=True):
                total += good + bad
                unreadable += bad
                label = f"{model._meta.label}.{field.name}"
                if bad:
                    self.stdout.write(
                        self.style.ERROR(f"  {label}: {bad:,} of {good + bad:,} unreadable")
                    )
                elif good:
                    self.stdout.write(f"  {label}: {good:,} readable")
        if unreadable:
            raise CommandError(
                f"{unreadable:,} of {total:,} encrypted values could not be read with "
                "FIELD_ENCRYPTION_KEY: this database was encrypted with a different key. Set "
                "FIELD_ENCRYPTION_KEY to the key(s) in use when the data (or the backup) was "
                'written; see README, "Encryption at rest".'
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"All {total:,} encrypted values are readable with the current keys."
            )
        )
